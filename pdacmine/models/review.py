"""Human review: the current decision per evidence key and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class ReviewDecision(Base):
    """Current decision on one evidence tuple, keyed by the stable ``evidence_key``.

    ``corrections`` overrides machine slots, e.g. ``{"organ": "lung"}``; ``status`` is
    ``accepted`` or ``rejected`` (no row means unreviewed). ``revision`` increases with
    every change so that concurrent reviewers cannot silently overwrite each other.
    """

    __tablename__ = "review_decisions"

    evidence_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    pmid: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    corrections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class ReviewAudit(Base):
    """Append-only log of every review action (never updated or deleted)."""

    __tablename__ = "review_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_key: Mapped[str] = mapped_column(String(40), index=True)
    pmid: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(20))  # accept | reject | correct | note | undo
    reviewer: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    old: Mapped[dict[str, Any]] = mapped_column(default=dict)
    new: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    #: For ``undo``: the audit row it reverts.
    reverts: Mapped[int | None] = mapped_column(ForeignKey("review_audit.id"))
    session: Mapped[str | None] = mapped_column(String(40))
