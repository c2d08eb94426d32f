"""Who may reach the workspace, and which POSTs are genuine.

- The server binds 127.0.0.1 by default; any other host needs an access token (setting
  ``serve_token`` / ``PDACMINE_SERVE_TOKEN``) or :func:`check_bind` refuses to start.
- With a token, :class:`TokenGate` lets a request through when the session already holds
  the token, when ``?token=...`` carries it (then it is remembered in the session and the
  address is cleaned of it), or when an ``Authorization: Bearer ...`` header does.
- Sessions are signed cookies (Starlette's ``SessionMiddleware``) with a secret kept in the
  user's config directory (:func:`session_secret`), so they survive a restart.
- Every form carries a per-session CSRF token (:func:`csrf_token`); :func:`check_csrf`
  refuses a POST without it.
"""

from __future__ import annotations

import hmac
import os
import secrets
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pdacmine.config import config_dir
from pdacmine.errors import ConfigError, InputError

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECRET_FILE = "serve-secret"


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without an access token."""
    if not is_local(host) and not token:
        raise ConfigError(
            f"serving on {host} needs an access token: set PDACMINE_SERVE_TOKEN (or serve_token in the "
            "config file), or serve on 127.0.0.1"
        )


def session_secret(directory: Path | None = None) -> str:
    """The signing secret of session cookies, created (readable by the user only) on first use."""
    path = (directory or config_dir()) / SECRET_FILE
    try:
        if path.exists():
            secret = path.read_text(encoding="utf-8").strip()
            if len(secret) >= 32:
                return secret
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secret + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot keep the session secret in {path}: {exc.strerror or exc}") from exc
    return secret


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class TokenGate:
    """ASGI middleware (inside ``SessionMiddleware``): requests without the access token get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = scope.get("session", {})
        offered = request.query_params.get("token")
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        if _same(offered, self.token):
            session["authorised"] = True
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            await RedirectResponse(target, status_code=303)(scope, receive, send)
            return
        if session.get("authorised") or _same(bearer, self.token):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "pdacmine serve: this workspace needs its access token: open the address with ?token=... "
            "(the token is set by whoever started the server)",
            status_code=401,
        )
        await response(scope, receive, send)


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    """A POST must carry this session's CSRF token (a form from this workspace)."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not _same(sent, expected):
        raise CsrfError("this form has expired or did not come from this workspace; reload the page and try again")


class CsrfError(InputError):
    """A POST without this session's CSRF token (answered with 403)."""


def session_id(request: Request, name: str) -> str:
    """A random id kept in the signed session under ``name`` (one audit session per browser tab group)."""
    sid = request.session.get(name)
    if not isinstance(sid, str):
        sid = uuid.uuid4().hex
        request.session[name] = sid
    return sid


def session_list(request: Request, name: str, kind: type) -> list[Any]:
    """The list kept in the session under ``name``, only its items of ``kind`` (a cookie can be edited)."""
    items = request.session.get(name)
    return [i for i in items if isinstance(i, kind)] if isinstance(items, list) else []
