"""Document-level evaluation of tagger output against a hand-annotated gold standard.

Pure functions: gold records and ``annotate`` records (typed, or their JSON) in, micro-averaged precision/recall/F1 out.
What counts as a correct document-level answer is defined in ``annotation.md``; how an ``annotate``
output record becomes document sets is :func:`document_sets`:

* organs, stages, therapies (and their classes): non-negated entities and non-negated tuples;
* mechanism categories and every pair: non-negated tuples only
  (``mechanism-organ`` = (category, organ), ``mechanism-stage`` = (category, stage),
  ``therapy-organ`` = (therapy key, organ)).

Hedged statements count (annotation.md includes them). A combination regimen spelled as its drugs
("gemcitabine plus nab-paclitaxel", key ``gemcitabine-nab-paclitaxel``) counts as its component drugs on
both sides, because annotation.md lists each drug; a named regimen (FOLFIRINOX) stays its own key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdacmine.errors import InputError, ParseError, PdacmineError
from pdacmine.miner.evidence import AnnotatedDocument
from pdacmine.miner.nlp.vocab import DATA_DIR, Vocabulary
from pdacmine.miner.nlp.vocab_tsv import read_categories
from pdacmine.miner.records import iter_jsonl

logger = logging.getLogger(__name__)

#: The taxonomy's controlled keys per facet (ORGAN, STAGE, MECHANISM category, THERAPY class), in file order.
_TAXONOMY = read_categories(DATA_DIR / "categories.tsv")


def _taxonomy_keys(facet: str) -> tuple[str, ...]:
    return tuple(key for (f, key) in _TAXONOMY if f == facet)


ORGANS = _taxonomy_keys("ORGAN")
STAGES = _taxonomy_keys("STAGE")
MECHANISM_CATEGORIES = _taxonomy_keys("MECHANISM")
THERAPY_CLASSES = _taxonomy_keys("THERAPY")

FACETS = ("organs", "stages", "mechanisms", "therapies", "therapy_classes")
PAIR_TYPES = ("mechanism-organ", "mechanism-stage", "therapy-organ")
MEASURES = FACETS + PAIR_TYPES
"""Everything scored, in report order: five facets, then three pair types."""

TARGETS: dict[str, float] = {
    "organs": 0.92,
    "stages": 0.85,
    "mechanisms": 0.85,
    "therapies": 0.92,
    "therapy_classes": 0.85,
    "mechanism-organ": 0.75,
    "mechanism-stage": 0.75,
    "therapy-organ": 0.75,
}
"""F1 the pipeline must reach per measure (issue #3); precision must reach :data:`TARGET_PRECISION` everywhere."""
TARGET_PRECISION = 0.85

_ALLOWED = {"organs": ORGANS, "stages": STAGES, "mechanisms": MECHANISM_CATEGORIES, "therapy_classes": THERAPY_CLASSES}
_PAIR_SLOTS = {
    "mechanism-organ": ("mechanisms", "organs"),
    "mechanism-stage": ("mechanisms", "stages"),
    "therapy-organ": ("therapies", "organs"),
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")

Item = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class DocumentSets:
    """What one document asserts: a set of keys (or key pairs) per measure."""

    items: Mapping[str, frozenset[Item]]

    def __getitem__(self, measure: str) -> frozenset[Item]:
        return self.items.get(measure, frozenset())


def _empty() -> dict[str, set[Item]]:
    return {m: set() for m in MEASURES}


def _freeze(sets: Mapping[str, set[Item]]) -> DocumentSets:
    return DocumentSets({m: frozenset(sets.get(m, ())) for m in MEASURES})


def as_document(output: AnnotatedDocument | Mapping[str, Any]) -> AnnotatedDocument:
    """A tagger's output as a typed record (a JSON object, e.g. the baseline's, is read with its defaults)."""
    return output if isinstance(output, AnnotatedDocument) else AnnotatedDocument.from_json(output)


def document_sets(output: AnnotatedDocument | Mapping[str, Any], vocab: Vocabulary | None = None) -> DocumentSets:
    """Document-level sets of one ``annotate`` record (``entities`` + ``tuples``), negated items left out."""
    doc = as_document(output)
    sets = _empty()
    classes: dict[str, str] = {}
    for ent in doc.entities:
        if ent.negated or not ent.key:
            continue
        label = ent.label.upper()
        if label == "ORGAN":
            sets["organs"].add(ent.key)
        elif label == "STAGE":
            sets["stages"].add(ent.key)
        elif label == "THERAPY":
            sets["therapies"].add(ent.key)
            if ent.category:
                classes[ent.key] = ent.category
    for tup in doc.tuples:
        if tup.negated:
            continue
        organ, stage = tup.organ, tup.stage
        mechanism, therapy = tup.mechanism, tup.therapy
        category, drug = mechanism.category if mechanism else None, therapy.key if therapy else None
        for facet, value in (("organs", organ), ("stages", stage), ("mechanisms", category), ("therapies", drug)):
            if value:
                sets[facet].add(value)
        if drug and therapy and therapy.category:
            classes[drug] = therapy.category
        if category and organ:
            sets["mechanism-organ"].add((category, organ))
        if category and stage:
            sets["mechanism-stage"].add((category, stage))
        if drug and organ:
            sets["therapy-organ"].add((drug, organ))
    _expand_combinations(sets, vocab, classes)
    therapies = [str(t) for t in sets["therapies"]]
    sets["therapy_classes"] = {classes[t] for t in therapies if t in classes}
    sets["therapy_classes"] |= {c for t in therapies if t not in classes and (c := _vocab_class(vocab, t))}
    return _freeze(sets)


def _vocab_class(vocab: Vocabulary | None, key: str) -> str | None:
    concept = vocab.get("THERAPY", key) if vocab is not None else None
    return concept.category if concept is not None else None


def combination_components(vocab: Vocabulary | None, key: str) -> tuple[str, ...]:
    """The drugs of a combination spelled as its drugs (key = drugs joined by "-", or name "X plus Y"), else ()."""
    concept = vocab.get("THERAPY", key) if vocab is not None else None
    if concept is None or not concept.components:
        return ()
    spelled = key == "-".join(concept.components) or " plus " in concept.name.lower()
    return concept.components if spelled else ()


def _expand_combinations(sets: dict[str, set[Item]], vocab: Vocabulary | None, classes: dict[str, str]) -> None:
    for key in list(sets["therapies"]):
        parts = combination_components(vocab, str(key))
        if parts:
            sets["therapies"].discard(key)
            sets["therapies"].update(parts)
            classes.pop(str(key), None)
    for pair in list(sets["therapy-organ"]):
        drug, organ = pair if isinstance(pair, tuple) else (pair, "")
        parts = combination_components(vocab, drug)
        if parts:
            sets["therapy-organ"].discard(pair)
            sets["therapy-organ"].update((p, organ) for p in parts)


# --------------------------------------------------------------------------- gold standard


@dataclass(frozen=True, slots=True)
class GoldRecord:
    pmid: str
    doi: str
    title_prefix: str
    sets: DocumentSets
    comment: str = ""
    line: int = 0

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
    sets = _empty()
    for facet in FACETS:
        sets[facet] = set(_keys(obj, facet, where))
    _pairs(obj, sets, where)
    if vocab is not None:
        unknown = sorted(str(t) for t in sets["therapies"] if vocab.get("THERAPY", str(t)) is None)
        if unknown:
            logger.warning("%s: therapy key(s) not in the vocabulary: %s", where, ", ".join(unknown))
    _expand_combinations(sets, vocab, {})
    return GoldRecord(pmid, doi, title, _freeze(sets), str(obj.get("comment") or ""), line)


def read_gold(path: Path, vocab: Vocabulary | None = None) -> list[GoldRecord]:
    """All records of a gold JSONL file; a duplicate record or an unknown key names the line."""
    records: list[GoldRecord] = []
    seen: dict[str, int] = {}
    for number, obj in read_jsonl(path):
        rec = gold_record(obj, where=f"{path}, line {number}", line=number, vocab=vocab)
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


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        """Gold items (TP + FN)."""
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def as_dict(self) -> dict[str, Any]:
        def rnd(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
            "precision": rnd(self.precision),
            "recall": rnd(self.recall),
            "f1": rnd(self.f1),
        }


@dataclass(slots=True)
class RecordErrors:
    """One record's false positives and false negatives per measure (for error analysis)."""

    label: str
    title_prefix: str
    fp: dict[str, list[str]] = field(default_factory=dict)
    fn: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.fp and not self.fn


@dataclass(slots=True)
class Scores:
    counts: dict[str, Counts] = field(default_factory=lambda: {m: Counts() for m in MEASURES})
    records: list[RecordErrors] = field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {m: self.counts[m].as_dict() for m in MEASURES}


def _show(item: Item) -> str:
    return item if isinstance(item, str) else "+".join(item)


def score(pairs: Iterable[tuple[GoldRecord, DocumentSets]]) -> Scores:
    """Micro-averaged counts over documents: TP/FP/FN summed per measure across (gold, predicted) pairs."""
    result = Scores()
    for gold, predicted in pairs:
        errors = RecordErrors(gold.label, gold.title_prefix)
        for measure in MEASURES:
            want, got = gold.sets[measure], predicted[measure]
            counts = result.counts[measure]
            counts.tp += len(want & got)
            counts.fp += len(got - want)
            counts.fn += len(want - got)
            if got - want:
                errors.fp[measure] = sorted(_show(i) for i in got - want)
            if want - got:
                errors.fn[measure] = sorted(_show(i) for i in want - got)
        result.records.append(errors)
    return result


def meets_targets(counts: Counts, measure: str) -> bool:
    """True when ``measure`` reaches its F1 target and the precision target."""
    f1, precision = counts.f1, counts.precision
    return f1 is not None and f1 >= TARGETS[measure] and (precision is None or precision >= TARGET_PRECISION)


# --------------------------------------------------------------------------- running a tagger on records

Annotator = Callable[[list[dict[str, Any]]], Iterable[AnnotatedDocument | Mapping[str, Any]]]
"""Takes records (``pmid``, ``title``, ``abstract``) and yields one ``annotate`` dict per record, in order."""


@dataclass(slots=True)
class Matched:
    """Gold records paired with the input records that carry their text."""

    pairs: list[tuple[GoldRecord, dict[str, Any]]]
    missing: list[GoldRecord]
    unannotated: int


def _norm_title(title: Any) -> str:
    return " ".join(str(title or "").split()).lower()


@dataclass(slots=True)
class _GoldIndex:
    gold: list[GoldRecord]
    taken: set[int] = field(default_factory=set)
    by_pmid: dict[str, int] = field(default_factory=dict)
    by_doi: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, g in enumerate(self.gold):
            if g.pmid:
                self.by_pmid.setdefault(g.pmid, i)
            if g.doi:
                self.by_doi.setdefault(g.doi.lower(), i)

    def find(self, rec: Mapping[str, Any]) -> int | None:
        """Gold index for ``rec``: same PMID; else same DOI; else its title starts with the gold title prefix.

        A fallback never pairs two records that both carry a (necessarily different) PMID or DOI.
        """
        pmid, doi = str(rec.get("pmid") or "").strip(), str(rec.get("doi") or "").strip().lower()
        i = self.by_pmid.get(pmid) if pmid else None
        if i is None and doi:
            i = self.by_doi.get(doi)
            i = None if i is None or (pmid and self.gold[i].pmid) else i
        if i is None:
            title = _norm_title(rec.get("title"))
            for j, g in enumerate(self.gold):
                prefix = _norm_title(g.title_prefix)
                clash = (pmid and g.pmid) or (doi and g.doi)
                if j not in self.taken and prefix and not clash and title.startswith(prefix):
                    i = j
                    break
        if i is None or i in self.taken:
            return None
        self.taken.add(i)
        return i


def match_records(gold: list[GoldRecord], records: Iterable[tuple[int, dict[str, Any]]], source: str) -> Matched:
    """Pair each gold record with its input record: by PMID, falling back to DOI, then to the title's start."""
    index = _GoldIndex(gold)
    found: dict[int, dict[str, Any]] = {}
    unannotated = 0
    for number, rec in records:
        if not str(rec.get("title") or rec.get("abstract") or "").strip():
            raise ParseError(source, "record has neither a title nor an abstract", line=number)
        i = index.find(rec)
        if i is None:
            unannotated += 1
        else:
            found[i] = rec
    pairs = [(g, found[i]) for i, g in enumerate(gold) if i in found]
    missing = [g for i, g in enumerate(gold) if i not in found]
    return Matched(pairs, missing, unannotated)


def predict_outputs(matched: Matched, annotate: Annotator) -> list[AnnotatedDocument]:
    """Run ``annotate`` on the matched records once (batched); its outputs in the order of ``matched.pairs``."""
    inputs = []
    for index, (_, rec) in enumerate(matched.pairs):
        tag = str(rec.get("pmid") or "").strip() or f"eval-{index}"
        inputs.append({"pmid": tag, "title": rec.get("title") or "", "abstract": rec.get("abstract") or ""})
    outputs = list(annotate(inputs))
    if len(outputs) != len(inputs):
        raise PdacmineError(f"the tagger returned {len(outputs)} results for {len(inputs)} records")
    position = {inp["pmid"]: i for i, inp in enumerate(inputs)}
    ordered: list[AnnotatedDocument | None] = [None] * len(inputs)
    for i, out in enumerate(map(as_document, outputs)):
        ordered[position.get(out.pmid, i)] = out
    return [d if d is not None else AnnotatedDocument(pmid="", text="") for d in ordered]


def predict(matched: Matched, annotate: Annotator, vocab: Vocabulary | None = None) -> list[DocumentSets]:
    """Run ``annotate`` on the matched records once (batched) and return their document sets, in order."""
    return [document_sets(out, vocab) for out in predict_outputs(matched, annotate)]


def score_outputs(matched: Matched, outputs: list[AnnotatedDocument], vocab: Vocabulary | None = None) -> Scores:
    """Scores of ``annotate`` outputs given in the order of ``matched.pairs``."""
    return score((g, document_sets(o, vocab)) for (g, _), o in zip(matched.pairs, outputs, strict=True))


def evaluate(matched: Matched, annotate: Annotator, vocab: Vocabulary | None = None) -> Scores:
    """Scores of one tagger over the matched records."""
    return score_outputs(matched, predict_outputs(matched, annotate), vocab)
