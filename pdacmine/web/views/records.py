"""Views 6 and 7: saved searches, the search log and the PRISMA diagram; exports that stream."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from pdacmine.db import harvest
from pdacmine.db import query as q
from pdacmine.db.exports import ARTICLE_COLUMNS, article_rows, prisma_counts
from pdacmine.miner.export import ARTICLE_FORMATS, WRITERS, write_articles
from pdacmine.miner.prisma import prisma_document, summary_lines, write_template_csv
from pdacmine.web.app import workspace
from pdacmine.web.params import FORM_FIELDS, choice_param, filter_state
from pdacmine.web.prisma_svg import prisma_svg
from pdacmine.web.streaming import stream_text
from pdacmine.web.views.explore import resolved_note

LEVELS = {"findings": tuple(WRITERS), "evidence": tuple(WRITERS), "articles": ARTICLE_FORMATS}
LOG_FORMATS = ("csv", "tsv", "json", "jsonl")
MEDIA = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
         "jsonl": "application/x-ndjson", "ris": "application/x-research-info-systems",
         "rayyan-csv": "text/csv", "asreview-csv": "text/csv"}  # fmt: skip
EXTENSIONS = {"rayyan-csv": "csv", "asreview-csv": "csv"}


def _prisma(request: Request) -> Any:
    """``prisma``'s counts (they read every article and evidence row: cached like the map)."""
    ws = workspace(request)

    def compute() -> Any:
        with ws.engine.connect() as conn:
            return prisma_counts(conn)

    return ws.cache.get(("prisma",), compute)


def searches(request: Request) -> Response:
    """Saved queries and the search log; the PRISMA diagram is an image the browser fetches next."""
    ws = workspace(request)
    with Session(ws.engine) as session:
        queries = harvest.list_queries(session)
        log = harvest.search_log_rows(session, harvest.list_runs(session))
    return ws.page(request, "searches.html", queries=queries, log=log)


def _download(body: str | bytes, media: str, filename: str) -> Response:
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def prisma_download(request: Request) -> Response:
    """``/prisma.svg`` (``?download=1``: as a file), ``/prisma.csv`` (the PRISMA2020 template),
    ``/prisma.json`` or ``/prisma.txt`` (``prisma --format text``)."""
    fmt = request.path_params["fmt"]
    if fmt not in ("svg", "csv", "json", "txt"):
        ws = workspace(request)
        return ws.page(request, "error.html", 404, title="Not found", message=f"no PRISMA download .{fmt}")
    counts = _prisma(request)
    if fmt == "svg" and request.query_params.get("download") != "1":
        return Response(prisma_svg(counts), media_type="image/svg+xml")  # shown on the searches page
    if fmt == "svg":
        return _download(prisma_svg(counts), "image/svg+xml", "prisma-flow.svg")
    if fmt == "txt":
        return Response("\n".join(summary_lines(counts)) + "\n", media_type="text/plain; charset=utf-8")
    if fmt == "csv":
        out = io.StringIO()
        write_template_csv(counts, out)
        return _download(out.getvalue(), "text/csv", "prisma.csv")
    return _download(json.dumps(prisma_document(counts), indent=2), "application/json", "prisma.json")


def exports(request: Request) -> Response:
    ws = workspace(request)
    with Session(ws.engine) as session:
        state = filter_state(session, request.query_params)
    return ws.page(request, "exports.html", state=state, fields=FORM_FIELDS, note=resolved_note(state), levels=LEVELS,
                   log_formats=LOG_FORMATS)  # fmt: skip


def _writer(request: Request, level: str, fmt: str, filters: Any) -> Callable[[TextIO], object]:
    engine = workspace(request).engine

    def write(out: TextIO) -> object:
        with engine.connect() as conn:
            if level == "findings":
                return WRITERS[fmt](q.finding_rows(conn, filters), q.FINDING_COLUMNS, out)
            if level == "evidence":
                rows = q.evidence_rows(conn, filters, sort="id", spans_as_text=fmt in ("csv", "tsv"))
                return WRITERS[fmt](rows, q.EVIDENCE_COLUMNS, out)
            return write_articles(article_rows(conn, filters), ARTICLE_COLUMNS, fmt, out)

    return write


def export_download(request: Request) -> Response:
    """``/export/findings|evidence|articles?format=...&<filters>``: the ``export`` command's rows, streamed."""
    ws = workspace(request)
    level = request.path_params["level"]
    if level == "searches":
        fmt = choice_param(request.query_params, "format", LOG_FORMATS, "csv")
        with Session(ws.engine) as session:
            log = harvest.search_log_rows(session, list(reversed(harvest.list_runs(session))))
        out = io.StringIO()
        WRITERS[fmt](log, harvest.LOG_COLUMNS, out)
        return _download(out.getvalue(), MEDIA[fmt], f"pdacmine-search-log.{fmt}")
    if level not in LEVELS:
        return ws.page(request, "error.html", 404, title="Not found", message=f"no export {level!r}")
    fmt = choice_param(request.query_params, "format", LEVELS[level], "csv")
    with Session(ws.engine) as session:
        state = filter_state(session, request.query_params)  # a bad filter is a 400 before anything streams
    bom = "\ufeff" if request.query_params.get("bom") == "1" else ""
    filename = f"pdacmine-{level}.{EXTENSIONS.get(fmt, fmt)}"
    return StreamingResponse(
        stream_text(_writer(request, level, fmt, state.filters), prefix=bom),
        media_type=MEDIA[fmt] + ("; charset=utf-8" if MEDIA[fmt].startswith("text/") else ""),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
