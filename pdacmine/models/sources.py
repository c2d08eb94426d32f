"""Where each record came from (one row per record read from a file) and the deduplication audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class RecordSource(Base):
    """One record as a source delivered it: the database, file, format and search it came from.

    Several rows point to the same article when the same study came from several files (an
    exact PMID match at import, or a later ``pdacmine dedup`` merge through ``duplicate_of``).
    ``pmid``/``doi``/``pmcid`` are the identifiers as the source gave them.
    """

    __tablename__ = "record_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imported_files.id", ondelete="SET NULL"), index=True)
    database: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    file: Mapped[str] = mapped_column(Text)
    search: Mapped[str | None] = mapped_column(Text)
    #: 1-based position of the record in the file, and the line it starts on.
    position: Mapped[int] = mapped_column(Integer)
    line: Mapped[int | None] = mapped_column(Integer)
    #: The source's own accession (Embase/Scopus/WoS id), when the export has one.
    accession: Mapped[str | None] = mapped_column(String(255))
    pmid: Mapped[str | None] = mapped_column(String(20))
    doi: Mapped[str | None] = mapped_column(String(255))
    pmcid: Mapped[str | None] = mapped_column(String(20))
    has_abstract: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupAudit(Base):
    """Append-only log of every deduplication change: who, when, what, and why.

    ``action`` is ``merge`` (``article_id`` became a duplicate of ``canonical_id``), ``split``
    (``article_id`` was taken out of ``canonical_id``'s group and is kept apart from it) or
    ``confirm`` (a person confirmed a merge) or ``regroup`` (a former duplicate became the kept
    record of its group, e.g. after the record it pointed to was withdrawn). ``method`` is ``pmid``, ``doi``, ``pmcid``,
    ``fuzzy`` or ``manual``; ``score`` the title similarity of a fuzzy match.
    """

    __tablename__ = "dedup_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    canonical_id: Mapped[int] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
