"""Saved queries, the PRISMA-S search log, imported files and rejected records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class SavedQuery(Base):
    __tablename__ = "saved_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    term: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Last [crdt] day fully committed; the next run starts at watermark - overlap_days.
    watermark: Mapped[date | None] = mapped_column()
    overlap_days: Mapped[int] = mapped_column(Integer, default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchRun(Base):
    """One harvest run of one saved query (PRISMA-S items 1, 8, 9, 12, 13, 15, 16)."""

    __tablename__ = "search_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int | None] = mapped_column(ForeignKey("saved_queries.id", ondelete="SET NULL"), index=True)
    query_name: Mapped[str] = mapped_column(String(100))
    database: Mapped[str] = mapped_column(String(50), default="PubMed")
    platform: Mapped[str] = mapped_column(String(100), default="NCBI E-utilities (esearch/efetch)")
    query_sent: Mapped[str] = mapped_column(Text)
    query_translation: Mapped[str | None] = mapped_column(Text)
    datetype: Mapped[str] = mapped_column(String(10), default="crdt")
    mindate: Mapped[str | None] = mapped_column(String(10))
    maxdate: Mapped[str | None] = mapped_column(String(10))
    run_kind: Mapped[str] = mapped_column(String(20), default="update")  # initial | update
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | failed | interrupted
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    hits: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    tool_version: Mapped[str] = mapped_column(String(30))


class SearchHit(Base):
    """A PMID a search run identified (PRISMA: identified per search, duplicates)."""

    __tablename__ = "search_hits"

    run_id: Mapped[int] = mapped_column(ForeignKey("search_runs.id", ondelete="CASCADE"), primary_key=True)
    pmid: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class HarvestMiss(Base):
    """A PMID a saved query's search identified that E-utilities never returned, even by ID (NCBI index lag, a
    withdrawn record): ``runs`` counts the harvest runs it stayed missing in. After ``harvest_give_up_runs``
    of them the PMID is recorded as failed (``record_errors``); the row goes when the record is stored
    (migration 0011)."""

    __tablename__ = "harvest_misses"

    query_id: Mapped[int] = mapped_column(ForeignKey("saved_queries.id", ondelete="CASCADE"), primary_key=True)
    pmid: Mapped[str] = mapped_column(String(20), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    #: The run that recorded the PMID as failed; later runs that still miss it neither count nor fail.
    gave_up_run_id: Mapped[int | None] = mapped_column(Integer)


class ImportedFile(Base):
    """A file fully applied by ``pdacmine import`` (re-runs skip it).

    ``format`` is ``pubmed-xml``, ``ris``, ``medline``, ``pubmed-csv`` or ``review-csv``;
    ``database`` and ``search`` say where the records came from (PRISMA: identified per
    source and per search; migration 0007).
    """

    __tablename__ = "imported_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes; a decompressed file may pass 2 GiB (migration 0006)
    records: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    format: Mapped[str] = mapped_column(String(20), default="pubmed-xml", server_default="pubmed-xml")
    database: Mapped[str | None] = mapped_column(String(100))
    search: Mapped[str | None] = mapped_column(Text)


class RecordError(Base):
    """A record that was skipped, with the reason (bad PMID, unparsable field...)."""

    __tablename__ = "record_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)  # file name or "search run <id>"
    pmid: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
