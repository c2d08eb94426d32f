"""View 5: record-level screening (title and abstract), as ``pdacmine screen`` does it in the terminal.

The same queue, order, decisions, audit rows, blinding, conflicts and resolution as the CLI
(:mod:`pdacmine.db.screening`): a reviewer sees only their own decisions until every required
reviewer has decided a record. Each browser session records one screening session (who, the
order, how many reviewers) so the PRISMA-S report can say how screening was prioritised. The
form carries the reviewer's version of the record; a decision on a stale view is refused with
the fresh state shown. Keys as in the terminal: i include, e exclude (then a reason), m maybe,
n note, s skip, u undo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pdacmine.db import screening as db
from pdacmine.db import screening_outcomes as outcomes
from pdacmine.errors import ConflictError, InputError
from pdacmine.miner.screening import DECISION_WORDS, EXCLUDE, INCLUDE, MAYBE, ORDERS, load_reasons
from pdacmine.web.app import WebState, workspace
from pdacmine.web.forms import checked_post
from pdacmine.web.params import FORM_FIELDS, FilterState, choice_param, filter_state
from pdacmine.web.security import check_csrf, session_id, session_list
from pdacmine.web.views.explore import resolved_note, segments

MAX_SKIPPED = 40
SHOWN_ORDERS = sorted(set(ORDERS) - {"file"})
ACTIONS = {"i": INCLUDE, "e": EXCLUDE, "m": MAYBE}


def _sid(request: Request) -> str:
    return session_id(request, "screen_sid")


def _skipped(request: Request) -> list[int]:
    return session_list(request, "screen_skipped", int)


def _options(request: Request) -> tuple[str, bool]:
    order = choice_param(request.query_params, "order", SHOWN_ORDERS, "evidence")
    return order, request.query_params.get("dual", "") in ("1", "on", "true")


def _back(state: FilterState, request: Request, record: int | None = None) -> str:
    order, dual = _options(request)
    extra: dict[str, str | None] = {"order": order if order != "evidence" else None, "dual": "1" if dual else None}
    if record is not None:
        extra["record"] = str(record)
    query = state.query(**extra)
    return "/screen" + (f"?{query}" if query else "")


def _record_session(session: Session, request: Request, ws: WebState, state: FilterState) -> int:
    """Start (once per browser session, order, reviewer and filters) a recorded screening session."""
    order, dual = _options(request)
    required = db.required_for(session, dual)
    reviewer = ws.reviewer(request)
    mark = f"{reviewer}|{order}|{required}|{state.query()}"
    if request.session.get("screen_started") != mark:
        db.start_session(session, reviewer, "web", order, required, state.filters)
        session.commit()
        request.session["screen_started"] = mark
    return required


def _show(request: Request, ws: WebState, state: FilterState, record: int | None, message: str | None = None,
          status: int = 200) -> Response:  # fmt: skip
    order, dual = _options(request)
    reviewer = ws.reviewer(request)
    with Session(ws.engine) as session:
        required = _record_session(session, request, ws, state)
        if record is not None:
            item = db.load_screen_item(session, record, reviewer)
        else:
            items = db.queue(session, reviewer, order=order, filters=state.filters, exclude=_skipped(request), limit=1)
            item = items[0] if items else None
        todo = db.todo_count(session, reviewer, state.filters)
        done = db.own_count(session, reviewer)
        version = db.own_version(session, item.article_id, reviewer) if item else 0
        tagged = db.tagged_sentences(session, item.article_id) if item else []
    context: dict[str, Any] = {
        "state": state, "fields": FORM_FIELDS, "note": resolved_note(state), "item": item, "message": message,
        "record_version": version, "todo": todo, "done": done, "required": required, "skipped": len(_skipped(request)),
        "reasons": load_reasons().reasons, "order": order, "orders": {k: ORDERS[k] for k in SHOWN_ORDERS},
        "dual": dual, "tagged": [(segments(t.sentence, t.spans), t.confidence) for t in tagged],
        "query": _back(state, request).partition("?")[2],
    }  # fmt: skip
    return ws.page(request, "screen.html", status, **context)


def screen(request: Request) -> Response:
    ws = workspace(request)
    with Session(ws.engine) as session:
        state = filter_state(session, request.query_params)
    record = request.query_params.get("record", "")
    return _show(request, ws, state, int(record) if record.isdigit() else None)


def _decide(ws: WebState, request: Request, record: int, form: Any) -> None:
    version = str(form.get("version", ""))
    if not version.isdigit():
        raise InputError("the form has no version number; reload the page")
    decision = ACTIONS[str(form.get("action"))]
    reason = None
    if decision == EXCLUDE:
        given = str(form.get("reason", "")).strip()
        if not given:
            raise InputError("an exclusion needs a reason: pick one from the list")
        reason = load_reasons().resolve(given)
    note = str(form.get("note", "")).strip() or None
    db.decide_checked(ws.engine, record, ws.reviewer(request), decision, reason, note, expected=int(version),
                      session_id=_sid(request))  # fmt: skip


async def decide_view(request: Request) -> Response:
    ws, form, state = await checked_post(request)
    record_text, action = str(form.get("record", "")), str(form.get("action", ""))
    if not record_text.isdigit():
        raise InputError("the form names no record; reload the page")
    record = int(record_text)
    if action == "s":
        request.session["screen_skipped"] = [*_skipped(request), record][-MAX_SKIPPED:]
        return RedirectResponse(_back(state, request), status_code=303)
    if action not in ACTIONS:
        raise InputError(f"unknown screening action {action!r}; use i (include), e (exclude), m (maybe) or s (skip)")
    try:
        await run_in_threadpool(_decide, ws, request, record, form)
    except ConflictError as exc:
        msg = f"Not saved: {exc}. Your current decision is shown; decide again or skip."
        return await run_in_threadpool(_show, request, ws, state, record, msg, 409)
    except InputError as exc:
        return await run_in_threadpool(_show, request, ws, state, record, f"Not saved: {exc}", 400)
    ws.cache.clear()
    return RedirectResponse(_back(state, request), status_code=303)


async def undo_view(request: Request) -> Response:
    ws, _, state = await checked_post(request)
    record = await run_in_threadpool(db.undo_last, ws.engine, ws.reviewer(request), _sid(request))
    if record is None:
        return await run_in_threadpool(_show, request, ws, state, None,
                                       "Nothing undone: no screening decision in this session yet.", 409)  # fmt: skip
    ws.cache.clear()
    return RedirectResponse(_back(state, request, record), status_code=303)


def conflicts(request: Request, message: str | None = None, status: int = 200) -> Response:
    ws = workspace(request)
    with Session(ws.engine) as session:
        items = outcomes.conflicts(session)
    return ws.page(request, "screen_conflicts.html", status, items=items, message=message,
                   reasons=load_reasons().reasons)  # fmt: skip


async def resolve_view(request: Request) -> Response:
    """A third reviewer settles a conflict (the library refuses the record's own screeners)."""
    ws = workspace(request)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    pmid = str(form.get("pmid", "")).strip()
    decision = DECISION_WORDS.get(str(form.get("decision", "")).strip().lower())
    try:
        if decision is None:
            raise InputError("unknown decision; use include, exclude or maybe")
        given = str(form.get("reason", "")).strip()
        reason = load_reasons().resolve(given) if given and decision == EXCLUDE else None
        if decision == EXCLUDE and reason is None:
            raise InputError("exclude needs a reason")
        note = str(form.get("note", "")).strip() or None
        await run_in_threadpool(outcomes.resolve, ws.engine, pmid, decision, reason, ws.reviewer(request), note)
    except InputError as exc:
        return await run_in_threadpool(conflicts, request, f"Not resolved: {exc}", 400)
    ws.cache.clear()
    return RedirectResponse("/screen/conflicts", status_code=303)
