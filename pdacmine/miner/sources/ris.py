"""RIS exports (Embase, Scopus, Web of Science, Cochrane Library, Rayyan, Zotero...) -> records.

The file is split into records here, so that an error names its line; each record's tags are
mapped to fields by rispy. RIS has no PMID tag: it is taken from a field that says ``PMID``
(Embase and others put it in a custom or note field), from a PubMed URL, or from the accession
number of a record whose ``DB`` is MEDLINE/PubMed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import rispy

from pdacmine.errors import ParseError
from pdacmine.miner.records import ArticleRecord
from pdacmine.miner.sources.records import (
    SourceRecord,
    normalise_doi,
    normalise_pmcid,
    normalise_pmid,
    split_name,
    year_of,
)
from pdacmine.miner.sources.text import split_tagged

TAG = re.compile(r"^[A-Z][A-Z0-9]  -(?: |$)")
START = re.compile(r"^TY  -(?: |$)")
END = re.compile(r"^ER  -")
_PMID_FIELD = re.compile(r"\bPMID\s*[:=]?\s*(\d{1,10})\b", re.IGNORECASE)
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,10})", re.IGNORECASE)
_PMCID_TEXT = re.compile(r"\bPMC\d{3,10}\b")
_TYPES = {"JOUR": "Journal Article", "CONF": "Conference Paper", "ABST": "Abstract", "CPAPER": "Conference Paper"}


def looks_like_ris(head: str) -> bool:
    return any(START.match(line) for line in head.splitlines()[:20])


def iter_ris(text: str, name: str) -> Iterator[SourceRecord]:
    """One :class:`SourceRecord` per RIS record; malformed structure raises :class:`ParseError`."""
    records = split_tagged(text, name, TAG, START, END, "RIS")
    for position, (line, lines) in enumerate(records, 1):
        try:
            entries = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises plain exceptions of several kinds
            raise ParseError(name, f"unreadable RIS record ({exc})", line=line) from exc
        if len(entries) != 1:
            raise ParseError(name, "unreadable RIS record", line=line)
        yield _record(entries[0], position, line)


def _first(entry: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = next((v for v in value if v), None)
        if value:
            return " ".join(str(value).split())
    return None


def _texts(entry: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in entry.items():
        if key in ("abstract", "title", "primary_title"):
            continue
        out += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def _pmid(entry: dict[str, Any], texts: list[str]) -> str | None:
    database = (_first(entry, "name_of_database") or "").lower()
    if "medline" in database or "pubmed" in database:
        found = normalise_pmid(_first(entry, "accession_number"))
        if found:
            return found
    for text in texts:
        match = _PMID_FIELD.search(text) or _PUBMED_URL.search(text)
        if match:
            return normalise_pmid(match.group(1))
    return None


def _record(entry: dict[str, Any], position: int, line: int) -> SourceRecord:
    texts = _texts(entry)
    doi = normalise_doi(_first(entry, "doi")) or next(
        (d for t in entry.get("urls") or [] if "doi" in t.lower() and (d := normalise_doi(t))), None
    )
    pmcid = next((normalise_pmcid(m.group(0)) for t in texts if (m := _PMCID_TEXT.search(t))), None)
    names = [*(entry.get("authors") or []), *(entry.get("first_authors") or [])]
    start, end = _first(entry, "start_page"), _first(entry, "end_page")
    types = [t for t in (_TYPES.get(entry.get("type_of_reference") or ""), _first(entry, "type_of_work")) if t]
    keywords = [k.strip() for k in entry.get("keywords") or [] if k and k.strip()]
    article = ArticleRecord(
        pmid=_pmid(entry, texts) or "",
        title=_first(entry, "title", "primary_title", "translated_title") or "",
        abstract=(_first(entry, "abstract", "notes_abstract") or ""),
        journal=_first(entry, "secondary_title", "journal_name", "alternate_title3", "alternate_title1"),
        journal_iso=_first(entry, "alternate_title1", "alternate_title2"),
        issn=(_first(entry, "issn") or "")[:20] or None,
        volume=_first(entry, "volume"),
        issue=_first(entry, "number"),
        pages=f"{start}-{end}" if start and end and end != start else start,
        pub_year=year_of(_first(entry, "year", "publication_year", "date")),
        pub_date_raw=_first(entry, "date", "year", "publication_year"),
        doi=doi,
        pmcid=pmcid,
        language=(_first(entry, "language") or "")[:20] or None,
        publication_types=[{"ui": None, "name": t} for t in dict.fromkeys(types)],
        keywords=keywords,
        authors=[split_name(n) for n in names if n and n.strip()],
    )
    return SourceRecord(
        article,
        position,
        line,
        accession=_first(entry, "accession_number", "id"),
        database=_first(entry, "name_of_database", "database_provider"),
    )
