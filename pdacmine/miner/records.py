"""Plain records passed between pure stages (parse -> store, NLP -> store, rank, export)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class ArticleRecord:
    """One parsed PubmedArticle / PubmedBookArticle. Field meanings match :class:`pdacmine.models.Article`."""

    pmid: str
    version: int = 1
    title: str = ""
    abstract: str = ""
    abstract_sections: list[dict[str, Any]] = field(default_factory=list)
    journal: str | None = None
    journal_iso: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pub_year: int | None = None
    pub_date: date | None = None
    pub_date_raw: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    language: str | None = None
    publication_types: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    mesh: list[dict[str, Any]] = field(default_factory=list)
    chemicals: list[dict[str, Any]] = field(default_factory=list)
    authors: list[dict[str, Any]] = field(default_factory=list)
    retracted: bool = False

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}"


@dataclass(slots=True)
class DeleteRecord:
    """A PMID that a DeleteCitation block withdraws."""

    pmid: str


@dataclass(slots=True)
class BadRecord:
    """A record that could not be parsed; it is reported and skipped, the batch goes on."""

    pmid: str | None
    reason: str


ParsedItem = ArticleRecord | DeleteRecord | BadRecord
