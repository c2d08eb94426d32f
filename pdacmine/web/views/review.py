"""View 4: the review queue (one evidence sentence at a time) and the audit page.

The same decisions, audit rows and conflict check as ``pdacmine review`` (:mod:`pdacmine.db.review_decisions`):
the form carries the revision the reviewer saw, and a decision on a stale view is refused
with the fresh state shown. The reviewer's name lives in the signed session, never in a form
field alone. Skipped items are remembered in the session (they come back in a new session).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pdacmine.db import overview
from pdacmine.db.review_audit import audit_log
from pdacmine.db.review_decisions import decide, refresh_rankings, undo_last
from pdacmine.db.review_queue import ReviewItem, load_item, queue
from pdacmine.errors import InputError, ReviewConflict
from pdacmine.miner.nlp.vocab import default_vocabulary
from pdacmine.miner.review import SLOT_FAMILIES, UNREVIEWED, resolve_correction, slot_family
from pdacmine.models import Article
from pdacmine.web.app import WebState, workspace
from pdacmine.web.forms import checked_post
from pdacmine.web.params import FORM_FIELDS, FilterState, filter_state
from pdacmine.web.security import check_csrf, session_id, session_list
from pdacmine.web.views.explore import resolved_note, segments

#: Skipped keys remembered per session (a cookie holds a few kilobytes).
MAX_SKIPPED = 40
ACTIONS = {"accept", "reject", "correct", "note", "skip"}
AUDIT_ROWS = 500


def _session_id(request: Request) -> str:
    return session_id(request, "sid")


def _skipped(request: Request) -> list[str]:
    return session_list(request, "skipped", str)


def _slots(item: ReviewItem) -> list[dict[str, Any]]:
    out = []
    for name, family in SLOT_FAMILIES.items():
        machine = {c: item.machine.get(c) for c in family.columns}
        effective = {c: item.effective.get(c) for c in family.columns}
        out.append({"name": name, "machine": machine, "effective": effective, "corrected": machine != effective})
    return out


def _show(
    request: Request, ws: WebState, state: FilterState, key: str | None, message: str | None = None, status: int = 200
) -> Response:
    """The review page: item ``key``, or the next one in ranked order."""
    with Session(ws.engine) as session:
        item: ReviewItem | None = None
        if not key:
            key = overview.next_to_review(session.connection(), state.filters, _skipped(request))
            if key is None:  # nothing among the ranked findings: the full queue (evidence not yet ranked too)
                items = queue(session, state.filters, exclude=_skipped(request), limit=1)
                item = items[0] if items else None
        if key:
            item = load_item(session, key)
        article = session.get(Article, item.article_id) if item is not None else None
        progress = ws.cache.get(("progress", state.filters),
                                lambda: overview.review_progress(session.connection(), state.filters))  # fmt: skip
    context: dict[str, Any] = {
        "state": state, "fields": FORM_FIELDS, "note": resolved_note(state), "item": item, "message": message,
        "progress": progress, "skipped": len(_skipped(request)), "slot_names": list(SLOT_FAMILIES),
        "unreviewed": UNREVIEWED,
    }  # fmt: skip
    if item is not None and article is not None:
        context.update(parts=segments(item.sentence, item.spans), slots=_slots(item), abstract=article.abstract or "",
                       journal=article.journal, doi=article.doi)  # fmt: skip
    return ws.page(request, "review.html", status, **context)


def review(request: Request) -> Response:
    ws = workspace(request)
    with Session(ws.engine) as session:
        state = filter_state(session, request.query_params)
    return _show(request, ws, state, request.query_params.get("key"))


def _back(state: FilterState, key: str | None = None) -> str:
    extra = {"key": key} if key else {}
    query = state.query(**extra)
    return "/review" + (f"?{query}" if query else "")


def _apply(ws: WebState, request: Request, key: str, action: str, form: Any) -> int | None:
    """Run one decision (in a worker thread); returns the article id whose findings to refresh."""
    expected = form.get("revision", "")
    if not str(expected).isdigit():
        raise InputError("the form has no revision number; reload the page")
    changes: dict[str, Any] = {}
    if action == "correct":
        family = slot_family(str(form.get("slot", "")))
        changes["corrections"] = resolve_correction(default_vocabulary(), family.name, str(form.get("value", "")))
    elif action == "note":
        changes["note"] = str(form.get("note", "")).strip()
    outcome = decide(ws.engine, key, action, reviewer=ws.reviewer(request), expected_revision=int(expected),
                     session_id=_session_id(request), **changes)  # fmt: skip
    return outcome.article_id if outcome.action is not None else None


async def decide_view(request: Request) -> Response:
    ws, form, state = await checked_post(request)
    key, action = str(form.get("key", "")), str(form.get("action", ""))
    if action not in ACTIONS:
        raise InputError(f"unknown review action {action!r}; use one of {', '.join(sorted(ACTIONS))}")
    if action == "skip":
        request.session["skipped"] = [*_skipped(request), key][-MAX_SKIPPED:]
        return RedirectResponse(_back(state), status_code=303)
    try:
        article_id = await run_in_threadpool(_apply, ws, request, key, action, form)
    except ReviewConflict as exc:
        msg = f"Not saved: {exc} Decide again with the current state in view, or skip it."
        return await run_in_threadpool(_show, request, ws, state, key, msg, 409)
    except InputError as exc:
        return await run_in_threadpool(_show, request, ws, state, key, f"Not saved: {exc}", 400)
    ws.cache.clear()
    if article_id is not None:
        await run_in_threadpool(refresh_rankings, ws.engine, [article_id])
    stay = action in ("correct", "note")  # the corrected tuple is shown again, as in the terminal
    return RedirectResponse(_back(state, key if stay else None), status_code=303)


async def undo_view(request: Request) -> Response:
    ws, _, state = await checked_post(request)
    try:
        outcome = await run_in_threadpool(undo_last, ws.engine, ws.reviewer(request), session_id=_session_id(request))
    except (ReviewConflict, InputError) as exc:
        return await run_in_threadpool(_show, request, ws, state, None, f"Nothing undone: {exc}", 409)
    ws.cache.clear()
    if outcome.article_id is not None:
        await run_in_threadpool(refresh_rankings, ws.engine, [outcome.article_id])
    return RedirectResponse(_back(state, outcome.evidence_key), status_code=303)


async def reviewer_view(request: Request) -> Response:
    """Remember the reviewer's name in the session."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    name = " ".join(str(form.get("reviewer", "")).split())[:100]
    if not name:
        raise InputError("the reviewer name is empty; type your name")
    request.session["reviewer"] = name
    back = str(form.get("back", "/review"))
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/review", 303)


def concepts(request: Request) -> Response:
    """Type-ahead for "correct": concepts of a slot's facet whose key, name, synonym or symbol contains ``q``."""
    family = slot_family(request.query_params.get("slot", ""))
    text = request.query_params.get("q", "").strip().lower()
    if family.facet is None:
        return JSONResponse([{"key": p, "name": p} for p in ("promotes", "suppresses", "associated")])
    found = []
    for c in default_vocabulary().by_facet(family.facet):
        forms = (c.key, c.name, *c.synonyms, *c.symbols)
        if not text or any(text in form.lower() for form in forms):
            found.append({"key": c.key, "name": c.name})
    found.sort(key=lambda c: (not c["key"].lower().startswith(text), c["key"]))
    return JSONResponse(found[:30])


def audit(request: Request) -> Response:
    ws = workspace(request)
    params = request.query_params
    wanted = {k: params.get(k, "").strip() or None for k in ("reviewer", "pmid", "key")}
    with Session(ws.engine) as session:
        rows = audit_log(session, reviewer=wanted["reviewer"], pmid=wanted["pmid"], evidence_key=wanted["key"],
                         limit=AUDIT_ROWS)  # fmt: skip
    return ws.page(request, "audit.html", rows=list(reversed(rows)), wanted=wanted, limit=AUDIT_ROWS)
