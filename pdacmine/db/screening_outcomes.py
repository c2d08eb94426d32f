"""Screening outcomes: each record's final state (for PRISMA and the exports), the conflicts of dual
screening and their resolution by a third reviewer, and the audit trail and sessions read back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from pdacmine.db.engine import session_scope
from pdacmine.db.record_keys import article_id_for_key
from pdacmine.db.screening import check_decision, reviewers_required, stored_key
from pdacmine.errors import InputError
from pdacmine.miner.screening import (
    CONFLICT,
    EXCLUDE,
    Final,
    Vote,
    final_decision,
)
from pdacmine.miner.sources.records import record_key, record_label
from pdacmine.models import (
    Article,
    ScreeningAudit,
    ScreeningDecision,
    ScreeningResolution,
    ScreeningSession,
)

A, SD, SR = Article, ScreeningDecision, ScreeningResolution


def final_states(conn: Session | Connection) -> dict[int, Final]:
    """The final state of every record someone decided (records missing here are unscreened; records merged
    into another by ``pdacmine dedup`` are left out: their decisions were carried over to the kept record)."""
    required = reviewers_required(conn)
    votes: dict[int, list[Vote]] = defaultdict(list)
    kept = SD.article_id.not_in(select(A.id).where(A.duplicate_of.is_not(None)))
    for aid, reviewer, decision, reason in conn.execute(
        select(SD.article_id, SD.reviewer, SD.decision, SD.reason).where(kept)
    ):
        votes[aid].append(Vote(reviewer, decision, reason))
    resolutions = {aid: Vote(rv, d, r) for aid, rv, d, r in conn.execute(
        select(SR.article_id, SR.reviewer, SR.decision, SR.reason).where(
            SR.article_id.not_in(select(A.id).where(A.duplicate_of.is_not(None)))))}  # fmt: skip
    return {aid: final_decision(votes.get(aid, []), resolutions.get(aid), required)
            for aid in {*votes, *resolutions}}  # fmt: skip


@dataclass(frozen=True)
class ConflictItem:
    article_id: int
    pmid: str
    title: str
    votes: tuple[Vote, ...]


def conflicts(session: Session) -> list[ConflictItem]:
    """Records every required reviewer decided, with different decisions and no resolution yet."""
    ids = sorted(aid for aid, f in final_states(session).items() if f.status == CONFLICT)
    out = []
    for aid in ids:
        art = session.get(A, aid)
        assert art is not None
        votes = session.scalars(select(SD).where(SD.article_id == aid).order_by(SD.reviewer))
        out.append(
            ConflictItem(
                aid,
                record_key(art.pmid, art.doi, art.id),
                art.title,
                tuple(Vote(v.reviewer, v.decision, v.reason) for v in votes),
            )
        )
    return out


def resolve(engine: Engine, pmid: str, decision: str, reason: str | None, reviewer: str, note: str | None) -> str:
    """A third reviewer's decision on a conflict, audited; screeners of the record cannot resolve it.
    ``pmid`` is the record's key (a PMID, ``doi:...`` or ``record:<id>``); returns it as stored records show it."""
    check_decision(decision, reason if decision != EXCLUDE else (reason or ""))
    with session_scope(engine) as session:
        art = session.get(A, article_id_for_key(session, pmid))
        assert art is not None
        pmid = record_key(art.pmid, art.doi, art.id)
        state = final_states(session).get(art.id)
        if state is None or state.status != CONFLICT:
            raise InputError(
                f"{record_label(pmid)} is not a screening conflict (it is {state.status if state else 'unscreened'})"
            )
        voters = set(session.scalars(select(SD.reviewer).where(SD.article_id == art.id)))
        if reviewer in voters:
            raise InputError(f"{reviewer} screened {record_label(pmid)}; a third reviewer must resolve the conflict")
        new = {"decision": decision, "reason": reason, "note": note}
        short = stored_key(art)
        session.add(SR(article_id=art.id, pmid=short, reviewer=reviewer, decision=decision, reason=reason, note=note))
        session.add(ScreeningAudit(article_id=art.id, pmid=short, reviewer=reviewer, action="resolve", old={},
                                   new=new, source="terminal"))  # fmt: skip
        return pmid


def audit_rows(session: Session, pmid: str | None = None, reviewer: str | None = None) -> list[ScreeningAudit]:
    """Screening audit entries, oldest first."""
    stmt = select(ScreeningAudit).order_by(ScreeningAudit.id)
    if pmid:
        stmt = stmt.where(ScreeningAudit.article_id == article_id_for_key(session, pmid))
    if reviewer:
        stmt = stmt.where(ScreeningAudit.reviewer == reviewer)
    return list(session.scalars(stmt))


def sessions(conn: Session | Connection) -> list[tuple[str, str, int, str, str]]:
    """(reviewer, kind, reviewers required, order, description) of every screening session, oldest first."""
    s = ScreeningSession
    stmt = select(s.reviewer, s.kind, s.reviewers_required, s.order, s.order_description).order_by(s.id)
    return [(r[0], r[1], int(r[2]), r[3], r[4]) for r in conn.execute(stmt)]
