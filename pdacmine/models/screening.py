"""Record-level screening: one decision per record and reviewer, third-reviewer resolutions,
the append-only screening audit, and the screening sessions (the order records were shown in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class ScreeningDecision(Base):
    """A reviewer's current title/abstract decision on one record: ``include``, ``exclude`` (with a
    ``reason`` from the exclusion-reason list) or ``maybe``. ``source`` says where it was made
    (``terminal``, ``csv``, ``asreview``, ``rayyan``); ``revision`` grows with every change."""

    __tablename__ = "screening_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    pmid: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(100), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="terminal")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("article_id", "reviewer"),)


class ScreeningResolution(Base):
    """A third reviewer's decision on a record the screeners disagreed on (wins over theirs)."""

    __tablename__ = "screening_resolutions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    pmid: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningAudit(Base):
    """Append-only log of every screening action (never updated or deleted; triggers in migration 0008)."""

    __tablename__ = "screening_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    pmid: Mapped[str] = mapped_column(String(20), index=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # decide | resolve | undo
    old: Mapped[dict[str, Any]] = mapped_column(default=dict)
    new: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(20), default="terminal")
    session: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningSession(Base):
    """One screening session or export: who, how many reviewers each record needs, and the order
    records were presented in (for the PRISMA-S / methods text on how screening was prioritised)."""

    __tablename__ = "screening_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # terminal | csv-export | import
    reviewers_required: Mapped[int] = mapped_column(Integer, default=1)
    order: Mapped[str] = mapped_column(String(20))
    order_description: Mapped[str] = mapped_column(Text)
    filters: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
