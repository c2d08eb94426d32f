"""Articles as PubMed describes them; list-valued fields are JSON documents on the row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class Article(Base):
    """One bibliographic record: a PubMed citation (latest version wins) or a record imported
    from another database (Embase, Scopus... via RIS or CSV), which may have no PMID.

    ``id`` is the identity; ``pmid`` is unique when present (PubMed records are upserted by it),
    ``doi`` and ``pmcid`` are identifiers deduplication matches on. ``duplicate_of`` points to
    the record a deduplication merged this one into (``pdacmine dedup``): duplicates keep their
    row and their sources, but are not extracted, and a split sets it back to null.

    JSON shapes (lists keep PubMed's order):

    - ``abstract_sections``: ``[{"label": "METHODS", "category": "METHODS", "text": "..."}]``
    - ``authors``: ``[{"last": "Doe", "fore": "Jane", "initials": "J", "collective": null,
      "affiliations": ["..."], "orcid": null}]``
    - ``mesh``: ``[{"ui": "D008113", "name": "Liver Neoplasms", "major": false,
      "qualifiers": [{"ui": "Q000556", "name": "secondary", "major": true}]}]``
    - ``chemicals``: ``[{"ui": "C056507", "name": "gemcitabine", "registry": "..."}]``
    - ``publication_types``: ``[{"ui": "D016428", "name": "Journal Article"}]``
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pmid: Mapped[str | None] = mapped_column(String(20), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text, default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    abstract_sections: Mapped[list[Any]] = mapped_column(default=list)
    journal: Mapped[str | None] = mapped_column(Text)
    journal_iso: Mapped[str | None] = mapped_column(String(255))
    issn: Mapped[str | None] = mapped_column(String(20))
    volume: Mapped[str | None] = mapped_column(String(50))
    issue: Mapped[str | None] = mapped_column(String(50))
    pages: Mapped[str | None] = mapped_column(String(100))
    pub_year: Mapped[int | None] = mapped_column(Integer, index=True)
    pub_date: Mapped[date | None] = mapped_column(Date)
    pub_date_raw: Mapped[str | None] = mapped_column(String(100))
    doi: Mapped[str | None] = mapped_column(String(255), index=True)
    pmcid: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(20))
    publication_types: Mapped[list[Any]] = mapped_column(default=list)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    mesh: Mapped[list[Any]] = mapped_column(default=list)
    chemicals: Mapped[list[Any]] = mapped_column(default=list)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: PubMed withdrew the citation (DeleteCitation); kept for the audit trail, hidden from queries.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: Digest of the parsed content (all fields but pmid/version); re-imports compare it (migration 0002).
    content_hash: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(10))  # "eutils" | "file" (PubMed XML) | "ris" | "medline" | "csv"
    #: The record a deduplication merged this one into (migration 0007); null for a kept record.
    duplicate_of: Mapped[int | None] = mapped_column(Integer, index=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
