"""Plain records passed between pure stages (parse -> store, NLP -> store, rank, export), and a JSONL reader."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pdacmine.errors import ParseError


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


def iter_jsonl(
    lines: Iterable[str], source: str, not_object: str = "expected a JSON object"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object raises
    :class:`ParseError` naming ``source`` and the line (``not_object`` says what was expected)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"not valid JSON ({exc.msg})", line=number) from exc
        if not isinstance(obj, dict):
            raise ParseError(source, not_object, line=number)
        yield number, obj
