"""The review audit trail: one append-only row per decision, read back for ``review log``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdacmine.miner.review import describe_change
from pdacmine.models import ReviewAudit


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
