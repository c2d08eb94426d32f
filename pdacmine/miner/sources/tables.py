"""CSV exports -> records: PubMed's "Save as CSV" and the CSV files of ASReview and Rayyan.

Columns are found by name, case-insensitively, through the synonyms below (ASReview's reader
accepts the same families of names). A file needs a title or an abstract column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

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

#: Field -> accepted column names (lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "primary_title", "article title", "ti", "document title"),
    "abstract": ("abstract", "abstract note", "notes_abstract", "ab"),
    "authors": ("authors", "author", "au", "first_authors", "author full names"),
    "first_author": ("first author",),
    "year": ("year", "publication year", "publication_year", "py", "pubyear"),
    "doi": ("doi", "do"),
    "pmid": ("pmid", "pubmed_id", "pubmed id"),
    "pmcid": ("pmcid", "pmc"),
    "journal": ("journal", "journal/book", "source title", "secondary_title", "journal_name", "t2", "source"),
    "keywords": ("keywords", "kw", "author keywords"),
    "accession": ("record_id", "key", "id", "accession number", "accession_number", "an", "eid"),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "sp"),
}
PUBMED_HEADER = {"pmid", "title", "authors", "citation", "first author", "journal/book", "publication year"}


def header_of(head: str) -> list[str]:
    """The column names of a CSV/TSV file's first line (lower case), or [] when it is not one."""
    first = head.splitlines()[0] if head.strip() else ""
    try:
        row = next(csv.reader([first], delimiter=_delimiter(first)))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().lower() for c in row]


def is_pubmed_csv(header: list[str]) -> bool:
    return PUBMED_HEADER.issubset(header)


def is_review_csv(header: list[str]) -> bool:
    names = set(header)
    return bool(names & {*COLUMNS["title"], *COLUMNS["abstract"]})


def _delimiter(first_line: str) -> str:
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def iter_csv(text: str, name: str, *, pubmed: bool) -> Iterator[SourceRecord]:
    """One :class:`SourceRecord` per data row; a malformed row raises :class:`ParseError` naming its line."""
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    try:
        header = [c.strip().lower() for c in next(reader, [])]
    except csv.Error as exc:
        raise ParseError(name, f"not a CSV file ({exc})", line=1) from exc
    if not is_review_csv(header):
        raise ParseError(name, f"no title or abstract column (columns: {', '.join(header) or 'none'})", line=1)
    where = {f: next((header.index(c) for c in names if c in header), None) for f, names in COLUMNS.items()}
    position, line = 0, reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(header):
                    raise ParseError(name, f"{len(row)} fields but the header has {len(header)}", line=line)
                position += 1
                yield _record(row, where, position, line, pubmed)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ParseError(name, f"malformed CSV ({exc})", line=line) from exc


def _authors(text: str, pubmed: bool) -> list[str]:
    text = text.strip().rstrip(".")
    if not text:
        return []
    if ";" in text:
        return [a.strip() for a in text.split(";") if a.strip()]
    if " and " in text:
        return [a.strip() for a in text.split(" and ") if a.strip()]
    if pubmed:  # "Doe J, Roe K"
        return [a.strip() for a in text.split(",") if a.strip()]
    return [text]


def _record(row: list[str], where: dict[str, int | None], position: int, line: int, pubmed: bool) -> SourceRecord:
    def get(field: str) -> str | None:
        i = where[field]
        value = " ".join(row[i].split()) if i is not None and i < len(row) else ""
        return value or None

    names = _authors(get("authors") or get("first_author") or "", pubmed)
    keywords = [k.strip() for k in re.split(r"[;|]", get("keywords") or "") if k.strip()]
    article = ArticleRecord(
        pmid=normalise_pmid(get("pmid")) or "",
        title=get("title") or "",
        abstract=get("abstract") or "",
        journal=get("journal"),
        volume=get("volume"),
        issue=get("issue"),
        pages=get("pages"),
        pub_year=year_of(get("year")),
        pub_date_raw=get("year"),
        doi=normalise_doi(get("doi")),
        pmcid=normalise_pmcid(get("pmcid")),
        keywords=keywords,
        authors=[split_name(n) for n in names],
    )
    return SourceRecord(article, position, line, accession=get("accession"), database="PubMed" if pubmed else None)
