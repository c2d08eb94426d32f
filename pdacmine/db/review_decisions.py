"""Review decisions under concurrency control: decide, undo, and the audit row each change writes.

Every decision is one short transaction that locks the decision row (``SELECT ... FOR UPDATE``
on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), compares the revision the reviewer saw and writes
the new state with a compare-and-set on ``revision`` (first decisions: insert-on-conflict-do-nothing),
plus one audit row. A stale revision raises :class:`ReviewConflict` instead of overwriting.
Decisions are keyed by ``evidence_key``, so they survive re-extraction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pdacmine.db.engine import session_scope
from pdacmine.db.review_queue import machine_slots, state_of
from pdacmine.errors import ConflictError, InputError, ReviewConflict
from pdacmine.miner.review import UNREVIEWED, DecisionState, audit_values, classify, next_state, state_from_audit
from pdacmine.models import Evidence, ReviewAudit, ReviewDecision
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The result of one decision: the new state and the audit row (None when nothing changed)."""

    evidence_key: str
    article_id: int | None
    state: DecisionState
    action: str | None
    audit_id: int | None


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


def decision_state(session: Session, evidence_key: str) -> DecisionState:
    """The current decision on ``evidence_key`` (also when its evidence row is gone)."""
    return state_of(session.get(ReviewDecision, evidence_key, populate_existing=True))


def lock_state(session: Session, evidence_key: str) -> DecisionState:
    """The current decision, its row locked until commit (PostgreSQL; SQLite holds the write lock)."""
    stmt = select(ReviewDecision).where(ReviewDecision.evidence_key == evidence_key).with_for_update()
    return state_of(session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none())


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
