"""What deduplication carries from a merged record to the record it is kept as: the review decisions on
its evidence (:func:`carry_decisions`) and its screening decisions (:func:`carry_screening`).

Nothing is overwritten: a decision the kept record already has wins. Every carried decision gets an
audit row (action ``carry``) naming the merged record; the merged record keeps its own decisions, so a
``pdacmine dedup --split`` brings them back with it. Functions flush; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdacmine.db.review_queue import machine_slots, state_of
from pdacmine.db.screening import write_decision as write_screening
from pdacmine.miner.evidence import evidence_key, normalise_sentence
from pdacmine.miner.review import DecisionState, audit_values
from pdacmine.miner.sources.records import record_key
from pdacmine.models import Article, Evidence, ReviewAudit, ReviewDecision, ScreeningDecision
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)


def carry_decisions(session: Session, moves: Mapping[int, int], *, actor: str) -> int:
    """Carry the review decisions on the evidence of merged records (``moves``: merged id -> kept id) over to
    the kept record, before deduplication drops that evidence: to the kept record's evidence with the same
    sentence (up to case, spacing and end punctuation: PubMed ends titles with a period, other databases
    often do not) and slots when it is extracted already, else to the key the same sentence and slots will
    take when it is. A sentence the kept record words differently keeps its decision on the old key only.

    The kept record's own decision on a key wins (nothing is overwritten). Each carried decision gets an
    audit row (action ``carry``, by ``actor``) naming where it came from; the original decision stays on its
    old key, so splitting the records apart again brings it back. Returns how many decisions were carried.
    """
    if not moves:
        return 0
    kept_ids = set(moves.values())
    kept_rows = session.execute(select(Article.id, Article.pmid, Article.doi).where(Article.id.in_(kept_ids)))
    kept = {i: (p or f"record:{i}", record_key(p, d, i)) for i, p, d in kept_rows}  # (key basis, record key)
    slots = (Evidence.mechanism_key, Evidence.stage, Evidence.organ, Evidence.therapy_key)
    existing = {
        (aid, _loose(sentence), *rest): key
        for key, aid, sentence, *rest in session.execute(
            select(Evidence.evidence_key, Evidence.article_id, Evidence.sentence, *slots).where(
                Evidence.article_id.in_(kept_ids)
            )
        )
    }
    stmt = (
        select(Evidence, ReviewDecision)
        .join(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)
        .where(Evidence.article_id.in_(list(moves)))
        .order_by(Evidence.id)
    )
    carried = 0
    for ev, rd in session.execute(stmt):
        basis, kept_key = kept[moves[ev.article_id]]
        same = (moves[ev.article_id], _loose(ev.sentence), ev.mechanism_key, ev.stage, ev.organ, ev.therapy_key)
        key = existing.get(same) or evidence_key(basis, ev.sentence, *same[2:])
        if key == rd.evidence_key or session.get(ReviewDecision, key) is not None:
            continue
        new = replace(state_of(rd), revision=1)
        values = {
            "status": new.status,
            "corrections": dict(new.corrections),
            "note": new.note,
            "reviewer": new.reviewer,
        }
        session.add(ReviewDecision(evidence_key=key, pmid=kept_key, decided_at=utcnow(), revision=1, **values))
        old_doc, new_doc = audit_values(DecisionState(), new, machine_slots(ev))
        note = f"carried over from {rd.evidence_key[:12]} ({ev.pmid}, merged into {kept_key} by dedup)"
        session.add(ReviewAudit(evidence_key=key, pmid=kept_key, action="carry", reviewer=actor, at=utcnow(),
                                old=old_doc, new=new_doc, note=note))  # fmt: skip
        carried += 1
    session.flush()
    if carried:
        logger.info("dedup: %d review decision(s) carried over to the kept records", carried)
    return carried


def _loose(sentence: str) -> str:
    return normalise_sentence(sentence).rstrip(" .;:")


def carry_screening(session: Session, moves: Mapping[int, int], *, actor: str) -> int:
    """Copy each reviewer's screening decision on a merged record to its kept record, unless that reviewer
    decided the kept record already (the same study is screened once, and PRISMA counts it once)."""
    if not moves:
        return 0
    kept_ids = set(moves.values())
    pairs = select(ScreeningDecision.article_id, ScreeningDecision.reviewer)
    decided = {(a, r) for a, r in session.execute(pairs.where(ScreeningDecision.article_id.in_(kept_ids)))}
    stmt = select(ScreeningDecision).where(ScreeningDecision.article_id.in_(list(moves))).order_by(ScreeningDecision.id)
    carried = 0
    for row in list(session.scalars(stmt)):
        target = moves[row.article_id]
        if (target, row.reviewer) in decided:
            continue
        kept = session.get(Article, target)
        assert kept is not None
        note = row.note or f"carried over from record {row.article_id} (merged into this record by dedup, {actor})"
        write_screening(session, kept, row.reviewer, row.decision, row.reason, note, source=row.source, action="carry")
        decided.add((target, row.reviewer))
        carried += 1
    if carried:
        logger.info("dedup: %d screening decision(s) carried over to the kept records", carried)
    return carried
