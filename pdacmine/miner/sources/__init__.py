"""Readers for the files review teams export from bibliographic databases: pure, file -> records.

Formats (``--format`` names):

- ``pubmed-xml``: PubMed XML (read by :mod:`pdacmine.miner.parse`, stored by ``jobs.importer``);
- ``ris``: RIS from Embase, Scopus, Web of Science, the Cochrane Library, Rayyan, Zotero...;
- ``medline``: PubMed's "PubMed format" / MEDLINE text (``.nbib``, ``.txt``);
- ``pubmed-csv``: PubMed's "Save as CSV";
- ``review-csv``: ASReview or Rayyan CSV (any CSV/TSV with a title or abstract column).

:func:`detect_format` decides by content; the extension only breaks ties (an unrecognised
``.ris`` is read as RIS so that its error names the line).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pdacmine.errors import InputError
from pdacmine.miner.sources.medline import iter_medline, looks_like_medline
from pdacmine.miner.sources.records import SourceRecord, record_key
from pdacmine.miner.sources.ris import iter_ris, looks_like_ris
from pdacmine.miner.sources.tables import header_of, is_pubmed_csv, is_review_csv, iter_csv
from pdacmine.miner.sources.text import read_text

FORMATS = ("pubmed-xml", "ris", "medline", "pubmed-csv", "review-csv")
#: The database a format's records come from when the file does not say.
DEFAULT_DATABASE = {
    "pubmed-xml": "PubMed",
    "ris": "RIS file",
    "medline": "PubMed",
    "pubmed-csv": "PubMed",
    "review-csv": "CSV file",
}
#: ``articles.source`` of records stored from each format.
ARTICLE_SOURCE = {"ris": "ris", "medline": "medline", "pubmed-csv": "csv", "review-csv": "csv"}
_BY_EXTENSION = {".ris": "ris", ".nbib": "medline", ".txt": "medline", ".xml": "pubmed-xml", ".gz": "pubmed-xml"}

__all__ = ["FORMATS", "SourceRecord", "detect_format", "read_records", "record_key"]


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8192)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc


def detect_format(path: Path) -> str:
    """The format of ``path`` by its content (see the module docstring); raises :class:`InputError` if unknown."""
    raw = _head(path)
    if raw.startswith(b"\x1f\x8b"):
        return "pubmed-xml"
    head = raw.decode("utf-8-sig", errors="replace")
    stripped = head.lstrip()
    if stripped.startswith("<"):
        return "pubmed-xml"
    if looks_like_ris(head):
        return "ris"
    if looks_like_medline(head):
        return "medline"
    header = header_of(head)
    if is_pubmed_csv(header):
        return "pubmed-csv"
    if is_review_csv(header):
        return "review-csv"
    guess = _BY_EXTENSION.get(path.suffix.lower())
    if guess is not None:
        return guess
    if path.suffix.lower() in (".csv", ".tsv"):
        return "review-csv"
    raise InputError(f"{path}: cannot tell the file's format; name it with --format ({', '.join(FORMATS)})")


def read_records(path: Path, fmt: str, name: str | None = None) -> Iterator[SourceRecord]:
    """The records of a non-XML export; malformed content raises :class:`ParseError` naming file and line."""
    name = name or str(path)
    text = read_text(path, name)
    if fmt == "ris":
        return iter_ris(text, name)
    if fmt == "medline":
        return iter_medline(text, name)
    if fmt in ("pubmed-csv", "review-csv"):
        return iter_csv(text, name, pubmed=fmt == "pubmed-csv")
    raise InputError(f"{name}: {fmt} is not a format read here ({', '.join(FORMATS[1:])})")
