"""Screening decision files: a pdacmine sheet, an ASReview export or a Rayyan file matched to stored
records and applied all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.db.engine import session_scope
from pdacmine.db.record_keys import match_refs
from pdacmine.db.screening import start_session, write_decision
from pdacmine.miner.screening import (
    FileDecision,
    Problems,
)
from pdacmine.models import (
    Article,
    ScreeningDecision,
    ScreeningResolution,
)

A, SD, SR = Article, ScreeningDecision, ScreeningResolution


@dataclass
class ApplySummary:
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    reviewers: Counter[str] = field(default_factory=Counter)


def match_records(session: Session, rows: Sequence[FileDecision], problems: Problems) -> list[int | None]:
    """The article id of every row (aligned with ``rows``); rows naming no stored record go to ``problems``."""
    out = match_refs(session, [r.ref for r in rows])
    for r, aid in zip(rows, out, strict=True):
        if aid is None:
            problems.add(r.line, f"unknown record: {r.record} is not in the database (or names several)")
    return out


def apply_decisions(
    engine: Engine, rows: Sequence[FileDecision], *, reviewer: str, source: str, session_id: str,
    dry_run: bool = False, required: int = 1,
) -> tuple[ApplySummary, Problems]:  # fmt: skip
    """Check every row against the database, then apply all of them in ONE transaction, or nothing when any
    row names an unknown record (the problems list every bad row)."""
    problems = Problems()
    summary = ApplySummary(rows=len(rows))
    with session_scope(engine) as session:
        ids = match_records(session, rows, problems)
        if problems or dry_run:
            session.rollback()
            return summary, problems
        start_session(session, reviewer, "import", "file", required)
        for r, aid in zip(rows, ids, strict=True):
            name = r.reviewer or reviewer
            article = session.get(A, aid)
            assert article is not None
            changed = write_decision(session, article, name, r.decision, r.reason, r.note, source=source,
                                     session_id=session_id)  # fmt: skip
            summary.changed += changed
            summary.unchanged += not changed
            summary.reviewers[name] += 1
    return summary, problems
