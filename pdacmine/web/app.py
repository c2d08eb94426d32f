"""The Starlette application: middleware, templates, and the one place errors become pages.

A library error is a page with the same one line the CLI prints: a bad parameter is 400
(:class:`~pdacmine.errors.InputError`), a stale form 403, a concurrent change 409, a database
that does not answer 503. Views raise; they never build error pages themselves.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from pdacmine import __version__
from pdacmine.errors import ConflictError, DatabaseError, InputError, PdacmineError
from pdacmine.web.security import CsrfError, TokenGate, csrf_token

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
T = TypeVar("T")
#: Navigation: (path, label, access key).
NAV = (
    ("/", "Evidence map", "m"),
    ("/findings", "Findings", "f"),
    ("/review", "Review", "v"),
    ("/audit", "Audit", "t"),
    ("/screen", "Screening", "s"),
    ("/searches", "Searches & PRISMA", "p"),
    ("/exports", "Exports", "e"),
)


class TTLCache:
    """Results of slow aggregates (the map, review progress) for ``seconds``; :meth:`clear` after every
    write of this server. Each server process has its own: another server's decisions show after
    at most ``seconds``."""

    def __init__(self, seconds: float = 30.0, size: int = 256) -> None:
        self.seconds, self.size = seconds, size
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key] = (time.monotonic(), value)  # from when it was computed (that can take a while)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass
class WebState:
    """What every view needs: the database, the default reviewer name, the cache, the templates."""

    engine: Engine
    default_reviewer: str
    cache: TTLCache = field(default_factory=TTLCache)
    templates: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["tojson_script"] = _json_for_script
        self.templates.filters["record_url"] = record_url
        self.templates.filters["record_label"] = record_label

    def reviewer(self, request: Request) -> str:
        name = request.session.get("reviewer")
        return name if isinstance(name, str) and name else self.default_reviewer

    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        base = {
            "request": request, "nav": NAV, "path": request.url.path, "version": __version__,
            "csrf": csrf_token(request), "reviewer": self.reviewer(request),
        }  # fmt: skip
        html = self.templates.get_template(template).render(**base, **context)
        return HTMLResponse(html, status_code=status_code)


def record_url(key: str | None) -> str | None:
    """Where a record's key leads: PubMed for a PMID, doi.org for ``doi:<DOI>``, nowhere for ``record:<id>``."""
    if not key:
        return None
    if key.isdigit():
        return f"https://pubmed.ncbi.nlm.nih.gov/{key}/"
    if key.startswith("doi:"):
        return "https://doi.org/" + quote(key[4:], safe="/:;()._-")
    return None


def record_label(key: str | None) -> str:
    """ "PMID" for a PubMed ID, "Record" for the keys of records from other databases."""
    return "PMID" if key and key.isdigit() else "Record"


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` can close it)."""
    text = json.dumps(value, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def workspace(request: Request) -> WebState:
    ws: WebState = request.app.state.workspace
    return ws


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    try:
        return workspace(request).page(request, "error.html", status, title=title, message=message)
    except Exception:  # the error page must never fail: plain text then
        logger.exception("error page failed")
        return Response(f"{title}: {message}\n", status_code=status, media_type="text/plain")


async def _input_error(request: Request, exc: Exception) -> Response:
    status = 403 if isinstance(exc, CsrfError) else 400
    return _error_page(request, status, "Not understood" if status == 400 else "Refused", str(exc))


async def _conflict(request: Request, exc: Exception) -> Response:
    return _error_page(request, 409, "Changed meanwhile", str(exc))


async def _unavailable(request: Request, exc: Exception) -> Response:
    reason = str(exc.orig).strip().splitlines()[0] if isinstance(exc, DBAPIError) and exc.orig else str(exc)
    logger.warning("database unavailable: %s", reason)
    return _error_page(request, 503, "Database unavailable", f"the database does not answer: {reason}")


async def _library_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 500, "Error", str(exc))


def warm_up() -> None:
    """Load the vocabulary and its lookup indexes (about 2 s) before the first filtered page needs them, then
    move what the server holds for good out of the garbage collector's way (``gc.freeze``): a finding's page
    builds tens of thousands of small objects, and each full collection walked the vocabulary again (a third of
    the time of the largest finding's first open)."""
    from pdacmine.db.filters import resolve_filters

    resolve_filters(None, organ=["liver"], mechanism=["zeb1"], therapy=["gemcitabine"])
    gc.collect()
    gc.freeze()


def create_app(
    engine: Engine,
    *,
    secret: str,
    token: str | None = None,
    default_reviewer: str = "reviewer",
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The workspace for ``engine``; ``token`` makes every request show it once (see :mod:`.security`)."""
    from pdacmine.web.views import ROUTES

    middleware = []
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    middleware.append(Middleware(SessionMiddleware, secret_key=secret, session_cookie="pdacmine_session",
                                 same_site="strict", max_age=30 * 24 * 3600))  # fmt: skip
    if token:
        middleware.append(Middleware(TokenGate, token=token))
    handlers: dict[Any, Callable[..., Any]] = {
        InputError: _input_error,
        ConflictError: _conflict,
        DatabaseError: _unavailable,
        OperationalError: _unavailable,
        PdacmineError: _library_error,
    }
    app = Starlette(
        routes=[*ROUTES, Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=middleware,
        exception_handlers=handlers,
    )
    app.state.workspace = WebState(engine, default_reviewer)
    return app
