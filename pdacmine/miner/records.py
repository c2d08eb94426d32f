"""Plain records passed between pure stages (parse -> store, NLP -> store, rank, export), and a JSONL reader."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pdacmine.errors import ParseError
from pdacmine.miner.evidence import AnnotatedDocument

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
Annotated = AnnotatedDocument | Failure


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
    lines: Iterable[str | bytes], source: str, not_object: str = "expected a JSON object"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object raises
    :class:`ParseError` naming ``source`` and the line (``not_object`` says what was expected).

    Lines may be bytes (read them with ``open(path, "rb")``: only ``\\n`` ends a line, so a
    U+2028 or form feed inside a JSON string stays in it); they must be UTF-8 (a UTF-8 BOM is
    dropped). Numbers too long for Python and nesting too deep for its parser are parse errors too.
    """
    for number, raw in enumerate(lines, 1):
        line = _decoded(raw, source, number) if isinstance(raw, bytes) else raw
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"not valid JSON ({exc.msg})", line=number) from exc
        except RecursionError as exc:
            raise ParseError(source, "JSON nested too deeply", line=number) from exc
        except ValueError as exc:  # an integer over Python's 4,300-digit limit
            raise ParseError(source, f"a JSON number too long to read ({str(exc)[:60]}...)", line=number) from exc
        if not isinstance(obj, dict):
            raise ParseError(source, not_object, line=number)
        yield number, obj


def _decoded(raw: bytes, source: str, number: int) -> str:
    if number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ParseError(source, "the file is UTF-16; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)", line=1)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(
            source,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); save the file as UTF-8",
            line=number,
        ) from exc


def text_record(obj: dict[str, Any], source: str, number: int) -> dict[str, Any]:
    """An ``annotate`` input object checked: ``pmid`` (string or integer), ``title`` and ``abstract``
    (strings or null, together at most :data:`MAX_TEXT_CHARS`), ``publication_types`` (a list of
    strings or ``{"name": ...}`` objects, or null). Anything else raises :class:`ParseError`."""
    pmid = obj.get("pmid")
    if pmid is not None and (isinstance(pmid, bool) or not isinstance(pmid, str | int)):
        raise ParseError(source, f'"pmid" must be a string or a number, not {_json_type(pmid)}', line=number)
    if isinstance(pmid, int) and not 0 <= pmid < 10**MAX_PMID_DIGITS:
        raise ParseError(source, '"pmid" is out of range', line=number)
    texts = {}
    for key in ("pmid", "title", "abstract"):
        value = "" if obj.get(key) is None else obj[key]
        value = str(value) if key == "pmid" else value
        if not isinstance(value, str):
            raise ParseError(source, f'"{key}" must be a string, not {_json_type(value)}', line=number)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = f"U+{ord(value[exc.start]):04X}"
            raise ParseError(source, f'"{key}" holds a lone surrogate ({bad}), which is not text', line=number) from exc
        texts[key] = value
    size = len(texts["title"]) + len(texts["abstract"])
    if size > MAX_TEXT_CHARS:
        raise ParseError(
            source, f"title and abstract hold {size:,} characters, more than the limit of {MAX_TEXT_CHARS:,}", number
        )
    types = obj.get("publication_types")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) or _named(t) for t in types)):
        raise ParseError(source, '"publication_types" must be a list of names or of {"name": ...} objects', line=number)
    return {**texts, "publication_types": types}


def _named(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("name", ""), str)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", bool: "true/false", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _short(number: int) -> str:
    """``number`` for a message: its first digits when it is very long."""
    text = str(number)
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"
