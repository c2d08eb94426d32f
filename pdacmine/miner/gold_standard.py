"""The hand-annotated gold standard: reading and validating gold records (format in ``annotation.md``).

A gold record names its article (PMID, DOI or title prefix) and the document sets it asserts
(:class:`pdacmine.miner.document_sets.DocumentSets`); records are matched to ``annotate`` output by
:func:`identity`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pdacmine.errors import InputError
from pdacmine.miner.document_sets import (
    FACETS,
    MECHANISM_CATEGORIES,
    ORGANS,
    PAIR_TYPES,
    STAGES,
    THERAPY_CLASSES,
    DocumentSets,
    Item,
    empty_sets,
    expand_combinations,
    freeze_sets,
)
from pdacmine.miner.nlp.vocab import Vocabulary
from pdacmine.miner.records import iter_jsonl

logger = logging.getLogger(__name__)

_ALLOWED = {"organs": ORGANS, "stages": STAGES, "mechanisms": MECHANISM_CATEGORIES, "therapy_classes": THERAPY_CLASSES}
_PAIR_SLOTS = {
    "mechanism-organ": ("mechanisms", "organs"),
    "mechanism-stage": ("mechanisms", "stages"),
    "therapy-organ": ("therapies", "organs"),
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")


@dataclass(frozen=True, slots=True)
class GoldRecord:
    pmid: str
    doi: str
    title_prefix: str
    sets: DocumentSets
    comment: str = ""
    line: int = 0
    #: the gold file it was read from (as given), for figures per file
    source: str = ""

    @property
    def label(self) -> str:
        return record_label(self.pmid, self.doi, self.title_prefix)


def record_label(pmid: str, doi: str, title: str) -> str:
    """How a record is named in messages and per-record output: PMID, else DOI, else the title's start."""
    if pmid:
        return f"PMID {pmid}"
    if doi:
        return f"doi:{doi}"
    return f'"{title[:40]}"'


def identity(pmid: Any, doi: Any, title: Any) -> str:
    """Matching key: the PMID, falling back to the DOI (case-folded), then to the first 60 characters of the title."""
    pmid_s, doi_s = str(pmid or "").strip(), str(doi or "").strip().lower()
    if pmid_s:
        return f"pmid:{pmid_s}"
    if doi_s:
        return f"doi:{doi_s}"
    words = " ".join(str(title or "").split())[:60].strip().lower()
    return f"title:{words}" if words else ""


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a missing file or bad line raises a named error."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    with fh:
        yield from iter_jsonl(fh, str(path))


def _keys(obj: Mapping[str, Any], facet: str, where: str) -> set[str]:
    value = obj.get(facet, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {facet!r} must be a list of keys")
    allowed = _ALLOWED.get(facet)
    for key in value:
        if allowed is not None and key not in allowed:
            raise InputError(f"{where}: unknown {facet[:-1].replace('_', ' ')} key {key!r}")
        if allowed is None and not _SLUG.match(key):
            raise InputError(f"{where}: therapy key {key!r} is not a lower-case key (e.g. 'nab-paclitaxel')")
    return set(value)


def _pairs(obj: Mapping[str, Any], sets: dict[str, set[Item]], where: str) -> None:
    pairs = obj.get("pairs", {})
    if not isinstance(pairs, dict):
        raise InputError(f"{where}: 'pairs' must be an object with keys {', '.join(PAIR_TYPES)}")
    for kind, items in pairs.items():
        if kind not in _PAIR_SLOTS:
            raise InputError(f"{where}: unknown pair type {kind!r} (expected one of {', '.join(PAIR_TYPES)})")
        left, right = _PAIR_SLOTS[kind]
        for item in items if isinstance(items, list) else [items]:
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)):
                raise InputError(f"{where}: each {kind} pair must be a list of two keys, got {item!r}")
            if item[0] not in sets[left] or item[1] not in sets[right]:
                raise InputError(f"{where}: {kind} pair {item!r} names a key missing from '{left}' or '{right}'")
            sets[kind].add((item[0], item[1]))


def gold_record(obj: Mapping[str, Any], *, where: str, line: int = 0, vocab: Vocabulary | None = None) -> GoldRecord:
    """Validate one gold object (annotation.md record format); unknown keys raise :class:`InputError`."""
    pmid, doi, title = (str(obj.get(f) or "").strip() for f in ("pmid", "doi", "title_prefix"))
    if not (pmid or doi or title):
        raise InputError(f"{where}: a gold record needs a pmid, a doi or a title_prefix")
    where = f"{where} ({record_label(pmid, doi, title)})"
    sets = empty_sets()
    for facet in FACETS:
        sets[facet] = set(_keys(obj, facet, where))
    _pairs(obj, sets, where)
    if vocab is not None:
        unknown = sorted(str(t) for t in sets["therapies"] if vocab.get("THERAPY", str(t)) is None)
        if unknown:
            logger.warning("%s: therapy key(s) not in the vocabulary: %s", where, ", ".join(unknown))
    expand_combinations(sets, vocab, {})
    return GoldRecord(pmid, doi, title, freeze_sets(sets), str(obj.get("comment") or ""), line)


def read_gold(path: Path, vocab: Vocabulary | None = None) -> list[GoldRecord]:
    """All records of a gold JSONL file; a duplicate record or an unknown key names the line."""
    records: list[GoldRecord] = []
    seen: dict[str, int] = {}
    for number, obj in read_jsonl(path):
        rec = replace(gold_record(obj, where=f"{path}, line {number}", line=number, vocab=vocab), source=str(path))
        ident = identity(rec.pmid, rec.doi, rec.title_prefix)
        if ident in seen:
            raise InputError(f"{path}, line {number}: {rec.label} is already annotated on line {seen[ident]}")
        seen[ident] = number
        records.append(rec)
    if not records:
        raise InputError(f"{path}: no gold records")
    return records


def read_gold_files(paths: Iterable[Path], vocab: Vocabulary | None = None) -> list[GoldRecord]:
    """The records of several gold files as one list; a record annotated in two files is refused."""
    records: list[GoldRecord] = []
    seen: dict[str, str] = {}
    for path in paths:
        for rec in read_gold(path, vocab):
            ident = identity(rec.pmid, rec.doi, rec.title_prefix)
            if ident in seen:
                raise InputError(f"{path}, line {rec.line}: {rec.label} is already annotated in {seen[ident]}")
            seen[ident] = str(path)
            records.append(rec)
    return records


def read_jsonl_files(paths: Iterable[Path]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of every line of several JSONL files, in turn."""
    for path in paths:
        yield from read_jsonl(path)
