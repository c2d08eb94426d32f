"""Human review in the database: the ranked queue, decisions under concurrency control,
the append-only audit trail, undo and the review spreadsheet.

Every decision is one short transaction that locks the decision row (``SELECT ... FOR UPDATE``
on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), compares the revision the reviewer saw and writes
the new state with a compare-and-set on ``revision`` (first decisions: insert-on-conflict-do-nothing),
plus one audit row. A stale revision raises :class:`ReviewConflict` instead of overwriting.
Decisions are keyed by ``evidence_key``, so they survive re-extraction.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, case, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from pdacmine.db.conditions import evidence_conditions
from pdacmine.db.engine import session_scope
from pdacmine.db.filters import Filters
from pdacmine.errors import ConflictError, InputError, ReviewConflict
from pdacmine.miner.evidence import CORRECTABLE, effective_slots
from pdacmine.miner.review import (
    ACCEPTED,
    DECIDED,
    REJECTED,
    UNREVIEWED,
    DecisionState,
    audit_values,
    classify,
    describe_change,
    next_state,
    state_from_audit,
)
from pdacmine.models import Article, Evidence, Finding, ReviewAudit, ReviewDecision
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

#: A SELECT of any columns (the queue adds, filters and orders columns step by step).
AnySelect = Select[*tuple[Any, ...]]

#: How many unreviewed items the interactive loop fetches at a time.
BATCH = 25


@dataclass(frozen=True)
class ReviewItem:
    """One evidence tuple as the reviewer sees it, with its current decision."""

    evidence_key: str
    article_id: int
    pmid: str
    year: int | None
    title: str
    sentence: str
    section: str | None
    spans: list[dict[str, Any]]
    machine: dict[str, Any]
    negated: bool
    hedged: bool
    study_type: str
    confidence: float
    score: float | None
    retracted: bool
    decision: DecisionState = field(default_factory=DecisionState)

    @property
    def effective(self) -> dict[str, Any]:
        return effective_slots(self.machine, self.decision.corrections)


@dataclass(frozen=True)
class Outcome:
    """The result of one decision: the new state and the audit row (None when nothing changed)."""

    evidence_key: str
    article_id: int | None
    state: DecisionState
    action: str | None
    audit_id: int | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    reviewer: str
    action: str
    pmid: str
    evidence_key: str
    old: dict[str, Any]
    new: dict[str, Any]
    note: str | None
    reverts: int | None
    session: str | None

    @property
    def change(self) -> str:
        return describe_change(self.old, self.new)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A short write transaction (:func:`~pdacmine.db.engine.session_scope`): SQLite takes its write lock
    up front (``BEGIN IMMEDIATE``) so that a read followed by a write never fails on a stale snapshot;
    busy or deadlocked databases become :class:`ConflictError` (run again)."""
    try:
        with session_scope(engine) as session:
            if engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if any(word in text for word in ("locked", "deadlock", "could not serialize", "busy")):
            raise ConflictError(f"the database is busy with another reviewer's change; run again ({exc.orig})") from exc
        raise


# --- reading ----------------------------------------------------------------------------------


_EV_COLUMNS = ("evidence_key", "article_id", "pmid", "sentence", "section", "spans", "negated", "hedged",
               "study_type", "confidence", *CORRECTABLE)  # fmt: skip
_RD_COLUMNS = ("status", "corrections", "note", "revision", "reviewer")


def _items_query() -> AnySelect:
    """Plain columns, not entities: exporting 100k rows stays fast (no identity map)."""
    return (
        select(
            *(getattr(Evidence, c) for c in _EV_COLUMNS),
            Article.title,
            Article.pub_year,
            Article.retracted,
            Finding.score,
            *(getattr(ReviewDecision, c).label(f"rd_{c}") for c in _RD_COLUMNS),
        )
        .select_from(Evidence)
        .join(Article, Article.id == Evidence.article_id)
        .outerjoin(Finding, Finding.id == Evidence.finding_id)
        .outerjoin(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)
        .where(Article.deleted.is_(False))
    )


def _filtered(stmt: AnySelect, filters: Filters | None) -> AnySelect:
    """The shared query filters (:mod:`pdacmine.db.filters`: facets test the effective finding).

    Review decides itself which statuses it shows (the queue: unreviewed; export ``--all``: every
    status), so the filters' default of hiding rejected evidence is switched off here.
    """
    return stmt if filters is None else stmt.where(*evidence_conditions(replace(filters, status="all")))


def _ranked(stmt: AnySelect) -> AnySelect:
    """Finding score (desc), then confidence (desc); evidence without a finding last."""
    return stmt.order_by(
        case((Finding.score.is_(None), 1), else_=0),
        Finding.score.desc(),
        Evidence.confidence.desc(),
        Evidence.id,
    )


def _unreviewed() -> Any:
    """No accept/reject decision: an anti-join, which PostgreSQL plans far better than a filter
    on the outer-joined decision row."""
    decided = aliased(ReviewDecision)
    return ~exists().where(decided.evidence_key == Evidence.evidence_key, decided.status.in_(DECIDED))


def machine_slots(ev: Evidence) -> dict[str, Any]:
    return {slot: getattr(ev, slot) for slot in CORRECTABLE}


def _decision(status: str | None, corrections: Any, note: str | None, revision: int, reviewer: str) -> DecisionState:
    """The decision from its :data:`_RD_COLUMNS` (no status: no decision row)."""
    if status is None:
        return DecisionState()
    return DecisionState(status, dict(corrections or {}), note, revision, reviewer)


def _state(row: ReviewDecision | None) -> DecisionState:
    return DecisionState() if row is None else _decision(*(getattr(row, c) for c in _RD_COLUMNS))


def _item(row: Any) -> ReviewItem:
    m = row._mapping
    return ReviewItem(
        evidence_key=m["evidence_key"],
        article_id=m["article_id"],
        pmid=m["pmid"],
        year=m["pub_year"],
        title=m["title"] or "",
        sentence=m["sentence"],
        section=m["section"],
        spans=list(m["spans"] or []),
        machine={slot: m[slot] for slot in CORRECTABLE},
        negated=bool(m["negated"]),
        hedged=bool(m["hedged"]),
        study_type=m["study_type"],
        confidence=m["confidence"],
        score=m["score"],
        retracted=bool(m["retracted"]),
        decision=_decision(*(m[f"rd_{c}"] for c in _RD_COLUMNS)),
    )


def queue(
    session: Session,
    filters: Filters | None = None,
    *,
    exclude: Collection[str] = (),
    limit: int = BATCH,
) -> list[ReviewItem]:
    """The next unreviewed items in ranked order, leaving out ``exclude`` (skipped this session)."""
    stmt = _filtered(_items_query().where(_unreviewed()), filters)
    if exclude:
        stmt = stmt.where(Evidence.evidence_key.not_in(list(exclude)))
    return [_item(r) for r in session.execute(_ranked(stmt).limit(limit))]


def iter_items(
    session: Session,
    filters: Filters | None = None,
    *,
    include_reviewed: bool = False,
) -> Iterator[ReviewItem]:
    """Every (unreviewed, or with ``include_reviewed`` every) item in ranked order, streamed."""
    stmt = _filtered(_items_query(), filters)
    if not include_reviewed:
        stmt = stmt.where(_unreviewed())
    for row in session.execute(_ranked(stmt).execution_options(yield_per=500)):
        yield _item(row)


def load_item(session: Session, evidence_key: str) -> ReviewItem:
    """One item by key; an unknown key raises :class:`InputError`."""
    row = session.execute(_items_query().where(Evidence.evidence_key == evidence_key)).first()
    if row is None:
        raise InputError(f"no evidence with key {evidence_key}")
    return _item(row)


def decision_state(session: Session, evidence_key: str) -> DecisionState:
    """The current decision on ``evidence_key`` (also when its evidence row is gone)."""
    return _state(session.get(ReviewDecision, evidence_key, populate_existing=True))


def review_counts(session: Session, filters: Filters | None = None) -> dict[str, int]:
    """How many items are unreviewed, accepted (``corrected``: accepted with corrections) and rejected."""
    status = func.coalesce(ReviewDecision.status, UNREVIEWED)
    base = _filtered(_items_query(), filters)
    counts = {"total": 0, UNREVIEWED: 0, ACCEPTED: 0, "corrected": 0, REJECTED: 0}
    grouped = base.with_only_columns(status, func.count()).group_by(status).order_by(None)
    for st, n in session.execute(grouped):
        counts[st] = counts.get(st, 0) + n
        counts["total"] += n
    accepted = base.with_only_columns(ReviewDecision.corrections).where(ReviewDecision.status == ACCEPTED)
    counts["corrected"] = sum(1 for (fixes,) in session.execute(accepted.order_by(None)) if fixes)
    return counts


# --- writing ----------------------------------------------------------------------------------


def lock_state(session: Session, evidence_key: str) -> DecisionState:
    """The current decision, its row locked until commit (PostgreSQL; SQLite holds the write lock)."""
    stmt = select(ReviewDecision).where(ReviewDecision.evidence_key == evidence_key).with_for_update()
    return _state(session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none())


def _conflict(evidence_key: str, current: DecisionState, seen: int) -> ReviewConflict:
    who = current.reviewer or "another reviewer"
    status = current.status or "undecided"
    return ReviewConflict(
        f"evidence {evidence_key[:12]} changed since it was shown: {who} made it {status} "
        f"(revision {current.revision}, you saw {seen}); review it again",
        evidence_key,
        current,
    )


def _store(session: Session, key: str, pmid: str, old: DecisionState, new: DecisionState) -> None:
    """Compare-and-set the decision row from ``old.revision`` to ``new``; a lost race raises."""
    values = {
        "status": new.status,
        "corrections": dict(new.corrections),
        "note": new.note,
        "reviewer": new.reviewer,
        "decided_at": utcnow(),
        "revision": new.revision,
    }
    conn = session.connection()
    if old.revision == 0:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt: Any = dialect.insert(ReviewDecision).values(evidence_key=key, pmid=pmid, **values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["evidence_key"]).returning(ReviewDecision.evidence_key)
        stored = conn.execute(stmt).first() is not None
    else:
        cas = (ReviewDecision.evidence_key == key) & (ReviewDecision.revision == old.revision)
        stored = conn.execute(update(ReviewDecision).where(cas).values(**values)).rowcount == 1
    if not stored:
        session.rollback()
        raise _conflict(key, decision_state(session, key), old.revision)


def write_decision(
    session: Session,
    ev: Evidence | None,
    key: str,
    old: DecisionState,
    target: DecisionState,
    *,
    reviewer: str,
    session_id: str | None,
    action: str | None = None,
    reverts: int | None = None,
) -> Outcome:
    kind = action or classify(old, target)
    article_id = ev.article_id if ev is not None else None
    if kind is None:
        return Outcome(key, article_id, old, None, None)
    new = replace(target, status=target.status or UNREVIEWED, revision=old.revision + 1, reviewer=reviewer)
    pmid = ev.pmid if ev is not None else _audit_pmid(session, key)
    _store(session, key, pmid, old, new)
    old_doc, new_doc = audit_values(old, new, machine_slots(ev) if ev is not None else {})
    audit = ReviewAudit(
        evidence_key=key,
        pmid=pmid,
        action=kind,
        reviewer=reviewer,
        at=utcnow(),
        old=old_doc,
        new=new_doc,
        note=new.note,
        reverts=reverts,
        session=session_id,
    )
    session.add(audit)
    session.flush()
    logger.debug("review %s %s by %s (revision %d)", kind, key, reviewer, new.revision)
    return Outcome(key, article_id, new, kind, audit.id)


def _audit_pmid(session: Session, key: str) -> str:
    row = session.get(ReviewDecision, key)
    return row.pmid if row is not None else ""


def _evidence(session: Session, key: str) -> Evidence | None:
    return session.execute(select(Evidence).where(Evidence.evidence_key == key)).scalar_one_or_none()


def evidence_row(session: Session, key: str) -> Evidence:
    ev = _evidence(session, key)
    if ev is None:
        raise InputError(f"no evidence with key {key}")
    return ev


def decide(
    engine: Engine,
    evidence_key: str,
    action: str,
    *,
    reviewer: str,
    expected_revision: int,
    corrections: dict[str, Any] | None = None,
    note: str | None = None,
    session_id: str | None = None,
) -> Outcome:
    """Apply one action (accept, reject, correct, note) in its own short transaction.

    ``expected_revision`` is the revision the reviewer saw (0: no decision yet); if the
    decision changed since, :class:`ReviewConflict` carries the newer state and nothing is written.
    A decision that changes nothing writes nothing (``Outcome.action`` is None).
    """
    with write_session(engine) as session:
        ev = evidence_row(session, evidence_key)
        old = lock_state(session, evidence_key)
        if old.revision != expected_revision:
            raise _conflict(evidence_key, old, expected_revision)
        target = next_state(old, action, machine_slots(ev), corrections, note)
        return write_decision(
            session,
            ev,
            evidence_key,
            old,
            target,
            reviewer=reviewer,
            session_id=session_id,
        )


def _last_undoable(session: Session, reviewer: str) -> ReviewAudit:
    undone = select(ReviewAudit.reverts).where(ReviewAudit.reverts.is_not(None))
    stmt = (
        select(ReviewAudit)
        .where(
            ReviewAudit.reviewer == reviewer,
            ReviewAudit.action != "undo",
            ReviewAudit.id.not_in(undone),
        )
        .order_by(ReviewAudit.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise InputError(f"nothing to undo: reviewer {reviewer} has no decision left to revert")
    return row


def undo_last(engine: Engine, reviewer: str, *, session_id: str | None = None) -> Outcome:
    """Revert the last decision of ``reviewer`` not yet undone (repeat to go further back).

    Recorded as an ``undo`` audit row whose ``reverts`` points at the undone row. If someone
    changed the decision since, :class:`ReviewConflict` is raised and nothing is reverted.
    """
    with write_session(engine) as session:
        row = _last_undoable(session, reviewer)
        key = row.evidence_key
        current = lock_state(session, key)
        if current.revision != (row.new or {}).get("revision"):
            who = current.reviewer or "another reviewer"
            raise ReviewConflict(
                f"cannot undo your {row.action} of evidence {key[:12]}: {who} changed it since "
                f"(revision {current.revision}); review it again instead",
                key,
                current,
            )
        ev = _evidence(session, key)  # None when re-extraction dropped the sentence: the decision still reverts
        target = state_from_audit(row.old or {}, current.revision)
        return write_decision(
            session,
            ev,
            key,
            current,
            target,
            reviewer=reviewer,
            session_id=session_id,
            action="undo",
            reverts=row.id,
        )


def refresh_rankings(engine: Engine, article_ids: Iterable[int]) -> int:
    """Recompute the findings of ``article_ids`` after decisions, in its own transaction.

    Runs after the decisions committed: a failure here never loses a decision, and
    ``pdacmine rank`` recomputes everything later. Returns how many findings changed.
    """
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    from pdacmine.db.findings import refresh_findings  # ranking pulls in the scoring weights: load on use

    with session_scope(engine) as session:
        return refresh_findings(session, article_ids=ids)


# --- the audit trail --------------------------------------------------------------------------


def audit_log(
    session: Session,
    *,
    pmid: str | None = None,
    reviewer: str | None = None,
    evidence_key: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Audit rows, oldest first (the newest ``limit`` when given)."""
    stmt = select(ReviewAudit)
    if pmid:
        stmt = stmt.where(ReviewAudit.pmid == pmid)
    if reviewer:
        stmt = stmt.where(ReviewAudit.reviewer == reviewer)
    if evidence_key:
        stmt = stmt.where(ReviewAudit.evidence_key.startswith(evidence_key.lower(), autoescape=True))
    stmt = stmt.order_by(ReviewAudit.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    rows = list(session.scalars(stmt))
    return [
        AuditEntry(r.id, r.at, r.reviewer, r.action, r.pmid, r.evidence_key, dict(r.old or {}), dict(r.new or {}),
                   r.note, r.reverts, r.session)
        for r in reversed(rows)
    ]  # fmt: skip
