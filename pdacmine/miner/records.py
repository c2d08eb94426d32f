"""Plain records passed between pure stages (parse -> store, NLP -> store, rank, export), and a JSONL reader."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pdacmine.errors import ParseError

#: Most characters a record's title + abstract may hold. A real abstract has a few thousand;
#: a longer text is a bad record (skipped and reported), which keeps the NLP (spaCy refuses
#: texts over 1,000,000 characters) and memory bounded. Stated in the README.
MAX_TEXT_CHARS = 500_000
#: Integers a record may hold: what every database column (PostgreSQL's 32-bit INTEGER) stores.
MAX_VERSION = 2**31 - 1
MIN_YEAR, MAX_YEAR = 1, 9999
#: Digits of the longest PMID accepted (PubMed's are 1-8 digits today).
MAX_PMID_DIGITS = 20


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


@dataclass(frozen=True, slots=True)
class Failure:
    """An article the NLP pipeline could not process; it stands in the output where its record would be."""

    pmid: str
    reason: str


#: One output of the pipeline (``miner.annotate.annotate_items``): an article's ``annotate`` object, or a Failure.
Annotated = dict[str, Any] | Failure


def normalize_pmid(raw: str) -> str | None:
    """The canonical form of a PMID (ASCII digits, no leading zeros), or None when ``raw`` is not one.

    Full-width and other Unicode decimal digits are read as the digits they are ("３９" -> "39"),
    leading zeros dropped ("0039" -> "39"), so one article never gets two rows; anything else
    (signs, spaces inside, superscripts, zero, more than :data:`MAX_PMID_DIGITS` digits) is None.
    """
    text = raw.strip()
    if not text or not text.isdecimal():
        return None
    if not text.isascii():
        text = "".join(str(int(ch)) for ch in text)
    text = text.lstrip("0")
    if not text or len(text) > MAX_PMID_DIGITS:
        return None
    return text


def record_problem(record: ArticleRecord) -> str | None:
    """Why ``record`` cannot be stored (an integer out of range, a text over the size limit), or None."""
    if not 1 <= record.version <= MAX_VERSION:
        return f"version {_short(record.version)} is out of range (1-{MAX_VERSION})"
    if record.pub_year is not None and not MIN_YEAR <= record.pub_year <= MAX_YEAR:
        return f"publication year {_short(record.pub_year)} is out of range ({MIN_YEAR}-{MAX_YEAR})"
    size = len(record.title) + len(record.abstract)
    if size > MAX_TEXT_CHARS:
        return f"title and abstract hold {size:,} characters, more than the limit of {MAX_TEXT_CHARS:,}"
    return None


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


def _short(number: int) -> str:
    """``number`` for a message: its first digits when it is very long."""
    text = str(number)
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"
