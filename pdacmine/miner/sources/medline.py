"""PubMed's "PubMed format" / MEDLINE text (.nbib, .txt) -> records, with Biopython's ``Bio.Medline``.

Records are split here (blank-line separated, each starting with ``PMID-``), so an error
names its line; ``Bio.Medline`` reads the fields of each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from Bio import Medline

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

TAG = re.compile(r"^[A-Z][A-Z0-9]{1,3} {0,3}- ")
START = re.compile(r"^PMID- ")
CONTINUATION = re.compile(r"^ {6}\S")


def looks_like_medline(head: str) -> bool:
    lines = [line for line in head.splitlines()[:20] if line.strip()]
    return bool(lines) and START.match(lines[0]) is not None


def iter_medline(text: str, name: str) -> Iterator[SourceRecord]:
    """One :class:`SourceRecord` per MEDLINE record; malformed lines raise :class:`ParseError`."""
    records = split_tagged(text, name, TAG, START, None, "MEDLINE", continuation=CONTINUATION)
    for position, (line, lines) in enumerate(records, 1):
        try:
            entry = Medline.read(iter(lines))
        except Exception as exc:  # Bio.Medline raises plain exceptions of several kinds
            raise ParseError(name, f"unreadable MEDLINE record ({exc})", line=line) from exc
        pmid = normalise_pmid(str(entry.get("PMID", "")))
        if pmid is None:
            raise ParseError(name, f"not a PMID: {entry.get('PMID')!r}", line=line)
        yield SourceRecord(_article(entry, pmid), position, line, accession=pmid, database="PubMed")


def _text(entry: Any, key: str) -> str | None:
    value = entry.get(key)
    if isinstance(value, list):
        value = " ".join(value)
    return " ".join(str(value).split()) if value else None


def _doi(entry: Any) -> str | None:
    for value in [*(entry.get("AID") or []), *(entry.get("LID") or "").split("\n")]:
        if "[doi]" in value:
            return normalise_doi(value)
    return None


def _mesh(headings: list[str]) -> list[dict[str, Any]]:
    out = []
    for heading in headings:
        name, *qualifiers = heading.split("/")
        out.append(
            {
                "ui": None,
                "name": name.lstrip("*"),
                "major": name.startswith("*"),
                "qualifiers": [{"ui": None, "name": q.lstrip("*"), "major": q.startswith("*")} for q in qualifiers],
            }
        )
    return out


def _article(entry: Any, pmid: str) -> ArticleRecord:
    names = entry.get("FAU") or entry.get("AU") or []
    issn = entry.get("IS")
    return ArticleRecord(
        pmid=pmid,
        title=_text(entry, "TI") or _text(entry, "BTI") or "",
        abstract=_text(entry, "AB") or "",
        journal=_text(entry, "JT"),
        journal_iso=_text(entry, "TA"),
        issn=(str(issn).split()[0][:20] if issn else None),
        volume=_text(entry, "VI"),
        issue=_text(entry, "IP"),
        pages=_text(entry, "PG"),
        pub_year=year_of(_text(entry, "DP")),
        pub_date_raw=_text(entry, "DP"),
        doi=_doi(entry),
        pmcid=normalise_pmcid(_text(entry, "PMC")),
        language=(entry.get("LA") or [None])[0],
        publication_types=[{"ui": None, "name": t} for t in entry.get("PT") or []],
        keywords=list(entry.get("OT") or []),
        mesh=_mesh(entry.get("MH") or []),
        authors=[split_name(n) for n in names],
    )
