"""Pure writers: take iterables of row dicts, write them to a text stream, return how many rows.

Formats: ``csv`` / ``tsv`` (one column per field; lists joined with "; "), ``json`` (one
array, streamed), ``jsonl`` (one object per line), and for articles ``ris`` (Rayyan,
Covidence, Zotero, EndNote, ASReview), ``rayyan-csv`` and ``asreview-csv`` with exactly
the columns those tools read. Nothing here loads more than one row at a time.

Every text cell a spreadsheet may open (csv, tsv and the tools' csv formats) goes through
:func:`guard_cell`, OWASP's rule against CSV formula injection: a cell that starts with
``= + - @``, a tab or a line break gets a leading apostrophe, so a spreadsheet shows the text
instead of evaluating it. :func:`unguard_cell` undoes exactly that (``review import``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

RAYYAN_COLUMNS = (
    "key", "title", "authors", "journal", "issn", "volume", "issue", "pages", "year", "publisher", "location",
    "url", "language", "abstract", "notes",
)  # fmt: skip
#: ASReview LAB's record columns (title, abstract, authors and keywords split on ";", year, doi, url, the label
#: ``included`` 1/0/empty) plus pmid, which ASReview keeps in the dataset and in its exports.
ASREVIEW_COLUMNS = ("title", "abstract", "authors", "keywords", "year", "pmid", "doi", "url", "included")
#: Formats a UTF-8 byte-order mark is written for (Excel); others get none (ASReview keeps it in a column name).
BOM_FORMATS = ("csv", "tsv")
#: The final screening state -> ASReview's label and RIS note.
ASREVIEW_LABEL = {"include": 1, "exclude": 0}
ASREVIEW_NOTE = {"include": "ASReview_relevant", "exclude": "ASReview_irrelevant"}
RAYYAN_WORD = {"include": "Included", "exclude": "Excluded", "maybe": "Maybe"}
_SPACE = re.compile(r"\s+")
#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), including the
#: full-width forms some spreadsheets also accept.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TRIGGERS = frozenset("".join(FORMULA_START) + "'")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PAGES = re.compile(r"^([A-Za-z]*)(\d+)(?:\s*[-\u2013]\s*([A-Za-z]*)(\d+))?$")


def cell(value: Any) -> str:
    """One CSV/TSV cell: lists joined with "; ", mappings as JSON, booleans as true/false, None empty."""
    kind = type(value)
    if kind is str:
        return str(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        if any(isinstance(v, Mapping) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return "; ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def guard_cell(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would evaluate it (a plain number such as
    ``-1.5`` stays as it is). Apostrophes already in front of such a cell are kept and one more is added,
    so :func:`unguard_cell` gives back exactly ``text``."""
    if not text or text[0] not in _TRIGGERS:  # the common case, fast
        return text
    if not text.lstrip("'").startswith(FORMULA_START) or _NUMBER.fullmatch(text):
        return text
    return "'" + text


def unguard_cell(text: str) -> str:
    """The inverse of :func:`guard_cell`: ``unguard_cell(guard_cell(t)) == t`` for every ``t``."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def _sheet_value(value: Any) -> Any:
    """A CSV cell: numbers and None as they are, text guarded."""
    kind = type(value)
    if kind is str:
        return guard_cell(value)
    if kind in _AS_IS:
        return value
    return guard_cell(cell(value))


#: Values the csv module writes as they are (None becomes an empty field).
_AS_IS = frozenset({str, int, float, type(None)})
_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def one_line(text: Any) -> str:
    return _SPACE.sub(" ", cell(text)).strip()


def _tsv_cell(value: Any) -> str:
    text = guard_cell(cell(value))
    return text.translate(_BREAKS) if ("\t" in text or "\n" in text or "\r" in text) else text


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    """RFC 4180 CSV with a header row (fields with commas, quotes or newlines are quoted), cells guarded."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    n = 0
    guard, value = guard_cell, _sheet_value
    for row in rows:
        writer.writerow([guard(v) if type(v) is str else value(v) for v in map(row.get, columns)])
        n += 1
    return n


def write_tsv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    """Tab-separated with a header; cells guarded, then tabs and line breaks inside a value become spaces."""
    out.write("\t".join(columns) + "\n")
    n = 0
    for row in rows:
        out.write("\t".join(_tsv_cell(v) for v in map(row.get, columns)) + "\n")
        n += 1
    return n


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_jsonl(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, default=_json_default) + "\n")
        n += 1
    return n


def write_json(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    """One JSON array, written an element at a time."""
    n = 0
    out.write("[")
    for row in rows:
        out.write(",\n " if n else "\n ")
        out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, default=_json_default))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


# --- reference-manager and screening-tool formats (articles) -------------------------------------------


def split_pages(pages: str | None) -> tuple[str | None, str | None]:
    """MEDLINE pagination to (start, end): ``"123-45"`` -> ("123", "145"), ``"e0123"`` -> ("e0123", None)."""
    if not pages:
        return None, None
    first = re.split(r"[,;]", pages)[0].strip()
    m = _PAGES.match(first)
    if not m:
        return first or None, None
    pre, start, end_pre, end = m.groups()
    if end is None:
        return pre + start, None
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return pre + start, (end_pre or pre) + end


def _notes(article: Mapping[str, Any]) -> str:
    status = article.get("screening")
    n = article.get("n_evidence")
    if status is None and n is None:
        return ""
    reason = article.get("exclusion_reason")
    return (
        f"pdacmine screening: {status or 'unscreened'}" + (f" ({reason})" if reason else "")
        + f"; {n or 0} evidence sentences ({article.get('n_accepted') or 0} accepted, "
        f"{article.get('n_rejected') or 0} rejected)"
    )  # fmt: skip


def screening_notes(article: Mapping[str, Any]) -> list[str]:
    """RIS N1 notes with the screening label as ASReview reads it (``ASReview_relevant`` / ``_irrelevant`` /
    ``_not_seen``) and as Rayyan writes it (``RAYYAN-INCLUSION: {"pdacmine"=>"Included"}``), then ours."""
    status = article.get("screening") or ""
    notes = [ASREVIEW_NOTE.get(status, "ASReview_not_seen")]
    if status in RAYYAN_WORD:
        rayyan = f'RAYYAN-INCLUSION: {{"pdacmine"=>"{RAYYAN_WORD[status]}"}}'
        if article.get("exclusion_reason"):
            rayyan += f" | RAYYAN-EXCLUSION-REASONS: {article['exclusion_reason']}"
        notes.append(rayyan)
    return [*notes, _notes(article)]


def ris_lines(article: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(tag, value) pairs of one RIS record (TY first, ER last)."""
    pmid = one_line(article.get("pmid"))
    sp, ep = split_pages(article.get("pages"))
    journal = one_line(article.get("journal")) or one_line(article.get("journal_iso"))
    date = one_line(article.get("pub_date")).replace("-", "/")
    tags: list[tuple[str, Any]] = [
        ("TY", "JOUR"), ("TI", article.get("title")), ("AB", article.get("abstract")),
        *(("AU", a) for a in article.get("authors") or ()),
        ("PY", article.get("year")), ("DA", f"{date}/" if date else None),
        ("JO", journal), ("T2", journal), ("J2", article.get("journal_iso")), ("SN", article.get("issn")),
        ("VL", article.get("volume")), ("IS", article.get("issue")), ("SP", sp), ("EP", ep),
        ("DO", article.get("doi")), ("AN", pmid), ("LA", article.get("language")),
        *(("KW", k) for k in [*(article.get("mesh") or ()), *(article.get("keywords") or ())]),
        ("UR", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else article.get("url")),
        ("DB", "PubMed" if pmid else None), ("DP", "NLM" if pmid else None),
        *(("N1", note) for note in screening_notes(article)),
    ]  # fmt: skip
    out = [(tag, one_line(value)) for tag, value in tags]
    return [(t, v) for t, v in out if v] + [("ER", "")]


def write_ris(articles: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """RIS records (``TAG  - value``, CRLF line ends, a blank line between records)."""
    n = 0
    for article in articles:
        out.write("".join(f"{tag}  - {value}\r\n" for tag, value in ris_lines(article)) + "\r\n")
        n += 1
    return n


def rayyan_row(article: Mapping[str, Any]) -> dict[str, Any]:
    """Rayyan's CSV columns; ``key`` is the PMID (Rayyan keeps it as the record's source id), else pdacmine's
    ``doi:...`` / ``record:<id>`` key; ``notes`` carry the screening decision in Rayyan's RAYYAN-INCLUSION form."""
    return {
        "key": article.get("pmid") or article.get("record"), "title": one_line(article.get("title")),
        "authors": "; ".join(article.get("authors") or ()), "journal": article.get("journal"),
        "issn": article.get("issn"), "volume": article.get("volume"), "issue": article.get("issue"),
        "pages": article.get("pages"), "year": article.get("year"), "publisher": None, "location": None,
        "url": article.get("url"), "language": article.get("language"), "abstract": one_line(article.get("abstract")),
        "notes": " | ".join(screening_notes(article)[1:]),
    }  # fmt: skip


def asreview_row(article: Mapping[str, Any]) -> dict[str, Any]:
    """ASReview's columns; ``included`` is 1 (final include by people), 0 (final exclude) or empty."""
    return {
        "title": one_line(article.get("title")), "abstract": one_line(article.get("abstract")),
        "authors": ";".join(one_line(a) for a in article.get("authors") or ()),
        "keywords": ";".join(one_line(k) for k in [*(article.get("mesh") or ()), *(article.get("keywords") or ())]),
        "year": article.get("year"), "pmid": article.get("pmid"), "doi": article.get("doi"), "url": article.get("url"),
        "included": ASREVIEW_LABEL.get(article.get("screening") or ""),
    }  # fmt: skip


Writer = Callable[[Iterable[Mapping[str, Any]], Sequence[str], TextIO], int]
WRITERS: dict[str, Writer] = {"csv": write_csv, "tsv": write_tsv, "json": write_json, "jsonl": write_jsonl}
ARTICLE_FORMATS = (*WRITERS, "ris", "rayyan-csv", "asreview-csv")


def write_articles(articles: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str, out: TextIO) -> int:
    """Articles in any of :data:`ARTICLE_FORMATS`."""
    if fmt == "ris":
        return write_ris(articles, out)
    if fmt == "rayyan-csv":
        return write_csv((rayyan_row(a) for a in articles), RAYYAN_COLUMNS, out)
    if fmt == "asreview-csv":
        return write_csv((asreview_row(a) for a in articles), ASREVIEW_COLUMNS, out)
    return WRITERS[fmt](articles, columns, out)
