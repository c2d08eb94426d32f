"""Reading the vocabulary's tab-separated files: rows with line numbers, the stoplist, the categories.

The columns of a concept file and the meaning of the stoplist and ``categories.tsv`` are described in
:mod:`pdacmine.miner.nlp.vocab`; every error names the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from pdacmine.errors import InputError

COLUMNS = (
    "key",
    "facet",
    "category",
    "name",
    "concept_id",
    "xrefs",
    "synonyms",
    "symbols",
    "components",
    "source",
)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of the non-comment, non-blank lines; a byte that is not UTF-8 names its line."""
    try:
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{path}, line {lineno}: not UTF-8 text ({exc.reason}); save the file as UTF-8"
                    ) from exc
                if line.strip() and not line.startswith("#"):
                    yield lineno, line
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def read_rows(path: Path, required: Iterable[str] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a TSV file with a header and ``#`` comment lines; errors name the file and line."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        return
    header = first[1].split("\t")
    missing = set(required) - set(header)
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}; expected {', '.join(COLUMNS)}")
    for lineno, line in lines:
        values = line.split("\t")
        if len(values) > len(header):
            raise InputError(f"{path}, line {lineno}: {len(values)} fields but the header has {len(header)}")
        yield lineno, dict(zip(header, values, strict=False))


def read_stoplist(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(forms stopped everywhere, forms stopped only as case-insensitive synonyms), lower-cased."""
    if not path.exists():
        return frozenset(), frozenset()
    everywhere: set[str] = set()
    synonyms_only: set[str] = set()
    for lineno, row in read_rows(path):
        term = (row.get("term") or "").strip().lower()
        scope = (row.get("scope") or "all").strip() or "all"
        if scope not in ("all", "synonym"):
            raise InputError(f"{path}, line {lineno}: scope must be 'all' or 'synonym', not {scope!r}")
        if term:
            (everywhere if scope == "all" else synonyms_only).add(term)
    return frozenset(everywhere), frozenset(synonyms_only)


def read_categories(path: Path) -> dict[tuple[str, str], str]:
    """(facet, category key) -> readable name, from ``categories.tsv``."""
    if not path.exists():
        return {}
    return {
        ((r.get("facet") or "").strip().upper(), (r.get("key") or "").strip()): (r.get("name") or "").strip()
        for _, r in read_rows(path)
        if (r.get("key") or "").strip()
    }
