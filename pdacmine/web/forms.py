"""What every state-changing POST of the workspace starts with: the CSRF check, then the filters in view."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request

from pdacmine.web.app import WebState, workspace
from pdacmine.web.params import FilterState, filter_state
from pdacmine.web.security import check_csrf


async def checked_post(request: Request) -> tuple[WebState, FormData, FilterState]:
    """The workspace, the posted form (its CSRF token checked) and the filter state of the page it came from."""
    ws = workspace(request)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    with Session(ws.engine) as session:
        state = await run_in_threadpool(filter_state, session, request.query_params)
    return ws, form, state
