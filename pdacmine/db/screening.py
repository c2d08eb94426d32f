"""Record-level screening in the database: the queue in a recorded order, decisions per reviewer with
an append-only audit, blind dual screening (conflicts, resolution and final states are in
:mod:`pdacmine.db.screening_outcomes`, decision files in :mod:`pdacmine.db.screening_files`).

Blinding: the queue and a reviewer's sheet only ever show that reviewer's own decisions; a record
becomes a listed conflict only once every required reviewer has decided it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select
from sqlalchemy.orm import Session

from pdacmine.db.conditions import article_conditions
from pdacmine.db.engine import session_scope
from pdacmine.db.filters import Filters
from pdacmine.errors import ConflictError, InputError
from pdacmine.miner.screening import (
    DECISIONS,
    EXCLUDE,
    HIGH_CONFIDENCE,
    ORDERS,
    Vote,
)
from pdacmine.miner.sources.records import record_key
from pdacmine.models import (
    Article,
    Evidence,
    ReviewDecision,
    ScreeningAudit,
    ScreeningDecision,
    ScreeningResolution,
    ScreeningSession,
)
from pdacmine.models.base import utcnow

A, SD, SR = Article, ScreeningDecision, ScreeningResolution
BATCH = 25


@dataclass(frozen=True)
class ScreenItem:
    """One record as a screener sees it, with only their own decision (``pmid``: the record's key, a PMID
    or ``doi:...`` / ``record:<id>``, see :func:`~pdacmine.miner.sources.records.record_key`)."""

    article_id: int
    pmid: str
    doi: str | None
    year: int | None
    title: str
    journal: str | None
    abstract: str
    n_evidence: int
    n_accepted: int
    best_confidence: float | None
    own: Vote | None = None


def reviewers_required(session: Session | Connection) -> int:
    """2 once any screening session was started for dual screening, else 1."""
    return int(session.scalar(select(func.max(ScreeningSession.reviewers_required))) or 1)


def start_session(
    session: Session, reviewer: str, kind: str, order: str, required: int, filters: Filters | None = None
) -> ScreeningSession:
    """Record who screens, how many reviewers a record needs and the order records are shown in."""
    if order not in ORDERS:
        raise InputError(f"unknown screening order {order!r}; use one of {', '.join(ORDERS)}")
    described = filters.describe() if filters else None
    row = ScreeningSession(reviewer=reviewer, kind=kind, reviewers_required=required, order=order,
                           order_description=ORDERS[order], filters=described)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _evidence_stats() -> Any:
    rd = ReviewDecision
    return (
        select(
            Evidence.article_id.label("article_id"),
            func.count().label("n"),
            func.sum(case((rd.status == "accepted", 1), else_=0)).label("acc"),
            func.max(Evidence.confidence).label("best"),
        )
        .outerjoin(rd, rd.evidence_key == Evidence.evidence_key)
        .group_by(Evidence.article_id)
        .subquery()
    )


def _items(filters: Filters | None) -> tuple[Any, Any]:
    stats = _evidence_stats()
    stmt = (
        select(A.id, A.pmid, A.doi, A.pub_year, A.title, A.journal, A.abstract, stats.c.n, stats.c.acc, stats.c.best)
        .outerjoin(stats, stats.c.article_id == A.id)
        .where(*article_conditions(filters or Filters()), A.duplicate_of.is_(None))
    )
    return stmt, stats


def _ordered(stmt: Any, stats: Any, order: str) -> Any:
    acc, best = func.coalesce(stats.c.acc, 0), stats.c.best
    if order == "evidence":
        group = case((acc > 0, 0), (best >= HIGH_CONFIDENCE, 1), (best.is_not(None), 2), else_=3)
        return stmt.order_by(group, func.coalesce(best, -1.0).desc(), A.id)
    if order == "year":
        return stmt.order_by(func.coalesce(A.pub_year, 0).desc(), A.id)
    return stmt.order_by(A.id)


def _item(r: Any, own: Vote | None = None) -> ScreenItem:
    key = record_key(r[1], r[2], r[0])
    return ScreenItem(r[0], key, r[2], r[3], r[4] or "", r[5], r[6] or "", int(r[7] or 0), int(r[8] or 0),
                      float(r[9]) if r[9] is not None else None, own)  # fmt: skip


def _todo(session: Session, reviewer: str, filters: Filters | None) -> tuple[Any, Any]:
    """Records this reviewer has not decided that still need a decision (fewer decisions than required, no
    resolution); other reviewers' decisions are never read into the items (blinding)."""
    required = reviewers_required(session)
    n_votes = select(func.count()).select_from(SD).where(SD.article_id == A.id).scalar_subquery()
    mine = select(SD.id).where(SD.article_id == A.id, SD.reviewer == reviewer).exists()
    resolved = select(SR.article_id).where(SR.article_id == A.id).exists()
    stmt, stats = _items(filters)
    return stmt.where(~mine, ~resolved, n_votes < required), stats


def queue(
    session: Session,
    reviewer: str,
    *,
    order: str = "evidence",
    filters: Filters | None = None,
    exclude: Collection[int] = (),
    limit: int | None = BATCH,
) -> list[ScreenItem]:
    """The next records for ``reviewer`` (see :func:`_todo`) in ``order``, leaving out ``exclude`` (skipped)."""
    stmt, stats = _todo(session, reviewer, filters)
    if exclude:
        stmt = stmt.where(A.id.not_in(list(exclude)))
    return [_item(r) for r in session.execute(_ordered(stmt, stats, order).limit(limit))]


def todo_count(session: Session, reviewer: str, filters: Filters | None = None) -> int:
    stmt, _ = _todo(session, reviewer, filters)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def own_items(
    session: Session, reviewer: str, *, order: str = "evidence", filters: Filters | None = None, todo_only: bool = True
) -> list[ScreenItem]:
    """For a reviewer's sheet: records still to screen (or all) with only this reviewer's decision."""
    stmt, stats = _items(filters)
    rows = session.execute(_ordered(stmt, stats, order)).all()
    mine = {d.article_id: Vote(d.reviewer, d.decision, d.reason) for d in session.scalars(
        select(SD).where(SD.reviewer == reviewer))}  # fmt: skip
    items = [_item(r, mine.get(r[0])) for r in rows]
    if todo_only:
        todo = {i.article_id for i in queue(session, reviewer, order=order, filters=filters, limit=None)}
        items = [i for i in items if i.article_id in todo]
    return items


def _state(row: ScreeningDecision | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {"decision": row.decision, "reason": row.reason, "note": row.note}


def check_decision(decision: str, reason: str | None) -> None:
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
    if decision == EXCLUDE and not reason and reason is not None:
        raise InputError("an exclusion needs a reason")


def write_decision(
    session: Session, article: Article, reviewer: str, decision: str | None, reason: str | None = None,
    note: str | None = None, *, source: str = "terminal", session_id: str | None = None, action: str = "decide",
) -> bool:  # fmt: skip
    """Set (``decision`` None: remove) this reviewer's decision on ``article`` plus one audit row;
    False when nothing changed."""
    if decision is not None:
        check_decision(decision, reason)
    row = session.scalars(select(SD).where(SD.article_id == article.id, SD.reviewer == reviewer)).one_or_none()
    old = _state(row)
    new = {} if decision is None else {"decision": decision, "reason": reason, "note": note}
    if old == new:
        return False
    if decision is None:
        assert row is not None
        session.delete(row)
    elif row is None:
        session.add(SD(article_id=article.id, pmid=stored_key(article), reviewer=reviewer, decision=decision,
                       reason=reason, note=note, source=source))  # fmt: skip
    else:
        row.decision, row.reason, row.note, row.source = decision, reason, note, source
        row.decided_at, row.revision = utcnow(), row.revision + 1
    session.add(ScreeningAudit(article_id=article.id, pmid=stored_key(article), reviewer=reviewer, action=action,
                               old=old, new=new, source=source, session=session_id))  # fmt: skip
    session.flush()
    return True


def stored_key(article: Article) -> str:
    """What the screening tables' 20-character ``pmid`` column holds: the PMID, else ``record:<id>``."""
    return article.pmid or f"record:{article.id}"


def decide(
    engine: Engine, article_id: int, reviewer: str, decision: str | None, reason: str | None = None,
    note: str | None = None, *, session_id: str | None = None, action: str = "decide",
) -> dict[str, Any]:  # fmt: skip
    """One decision in its own transaction; returns the reviewer's previous state (for undo)."""
    with session_scope(engine) as session:
        article = session.get(A, article_id)
        if article is None:
            raise InputError(f"no record with id {article_id}")
        old = _state(
            session.scalars(select(SD).where(SD.article_id == article_id, SD.reviewer == reviewer)).one_or_none()
        )
        write_decision(session, article, reviewer, decision, reason, note, session_id=session_id, action=action)
        return old


def record_count(session: Session | Connection) -> int:
    """Records that can be screened (withdrawn ones and those merged into another by dedup excluded)."""
    live = (A.deleted.is_not(True), A.duplicate_of.is_(None))
    return int(session.scalar(select(func.count()).select_from(A).where(*live)) or 0)


# --- shared by the terminal loop and the browser ----------------------------------------------------


def required_for(session: Session | Connection, dual: bool) -> int:
    """Reviewers a record needs: 2 with ``dual``, else what earlier sessions recorded."""
    return 2 if dual else reviewers_required(session)


def own_version(session: Session | Connection, article_id: int, reviewer: str) -> int:
    """How many audit rows ``reviewer`` has on this record: it grows with every change (decide, undo),
    so a form carrying an older number was made on a stale view."""
    stmt = (
        select(func.count())
        .select_from(ScreeningAudit)
        .where(ScreeningAudit.article_id == article_id, ScreeningAudit.reviewer == reviewer)
    )
    return int(session.scalar(stmt) or 0)


def own_count(session: Session | Connection, reviewer: str) -> int:
    """Records ``reviewer`` has decided (include, exclude or maybe)."""
    return int(session.scalar(select(func.count()).select_from(SD).where(SD.reviewer == reviewer)) or 0)


def own_vote(session: Session, article_id: int, reviewer: str) -> Vote | None:
    row = session.scalars(select(SD).where(SD.article_id == article_id, SD.reviewer == reviewer)).one_or_none()
    return Vote(row.reviewer, row.decision, row.reason) if row is not None else None


def load_screen_item(session: Session, article_id: int, reviewer: str) -> ScreenItem | None:
    """One record as ``reviewer`` sees it (only their own decision: blinding)."""
    stmt, _ = _items(None)
    row = session.execute(stmt.where(A.id == article_id)).first()
    return _item(row, own_vote(session, article_id, reviewer)) if row is not None else None


@dataclass(frozen=True)
class TaggedSentence:
    sentence: str
    spans: list[Any]
    confidence: float


def tagged_sentences(session: Session, article_id: int, limit: int = 12) -> list[TaggedSentence]:
    """The record's stored evidence sentences with their entity spans, most confident first (one per sentence)."""
    stmt = (
        select(Evidence.sentence, Evidence.spans, Evidence.confidence)
        .where(Evidence.article_id == article_id)
        .order_by(Evidence.confidence.desc(), Evidence.id)
    )
    out: dict[str, TaggedSentence] = {}
    for sentence, spans, confidence in session.execute(stmt):
        if sentence not in out:
            out[sentence] = TaggedSentence(sentence, list(spans or []), float(confidence or 0.0))
        if len(out) >= limit:
            break
    return list(out.values())


def decide_checked(
    engine: Engine, article_id: int, reviewer: str, decision: str | None, reason: str | None = None,
    note: str | None = None, *, expected: int, session_id: str | None = None, source: str = "web",
) -> dict[str, Any]:  # fmt: skip
    """:func:`decide` when ``reviewer``'s record is still at version ``expected`` (see :func:`own_version`);
    else :class:`~pdacmine.errors.ConflictError` and nothing is written."""
    with session_scope(engine) as session:
        article = session.get(A, article_id)
        if article is None:
            raise InputError(f"no record with id {article_id}")
        if own_version(session, article_id, reviewer) != expected:
            raise ConflictError(f"your decision on record {record_key(article.pmid, article.doi, article.id)} "
                                "changed since this page was shown (another tab or window)")  # fmt: skip
        old = _state(
            session.scalars(select(SD).where(SD.article_id == article_id, SD.reviewer == reviewer)).one_or_none()
        )
        write_decision(session, article, reviewer, decision, reason, note, source=source, session_id=session_id)
        return old


def undo_last(engine: Engine, reviewer: str, session_id: str, source: str = "web") -> int | None:
    """Undo ``reviewer``'s most recent decision of screening session ``session_id`` not undone yet (a stack:
    each undo goes one decision further back), restoring the state before it; the record's id, or None."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(ScreeningAudit)
            .where(ScreeningAudit.reviewer == reviewer, ScreeningAudit.session == session_id)
            .order_by(ScreeningAudit.id.desc())
        )
        pending = 0
        for row in rows:
            if row.action == "undo":
                pending += 1
            elif row.action == "decide":
                if pending:
                    pending -= 1
                    continue
                article = session.get(A, row.article_id)
                if article is None:
                    return None
                old = row.old or {}
                write_decision(session, article, reviewer, old.get("decision"), old.get("reason"), old.get("note"),
                               source=source, session_id=session_id, action="undo")  # fmt: skip
                return article.id
    return None
