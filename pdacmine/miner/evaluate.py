"""Document-level evaluation of tagger output against a hand-annotated gold standard.

Pure functions: gold records (:mod:`pdacmine.miner.gold_standard`) and ``annotate`` records (typed, or
their JSON) in, micro-averaged precision/recall/F1 over document sets
(:mod:`pdacmine.miner.document_sets`) out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pdacmine.errors import ParseError, PdacmineError
from pdacmine.miner.document_sets import MEASURES, DocumentSets, Item, as_document, document_sets
from pdacmine.miner.evidence import AnnotatedDocument
from pdacmine.miner.gold_standard import GoldRecord
from pdacmine.miner.nlp.vocab import Vocabulary

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


def score_by_source(
    matched: Matched, outputs: list[AnnotatedDocument], vocab: Vocabulary | None = None
) -> dict[str, Scores]:
    """Scores of the outputs per gold file (``GoldRecord.source``), files in the order their records come."""
    groups: dict[str, list[int]] = {}
    for i, (g, _) in enumerate(matched.pairs):
        groups.setdefault(g.source, []).append(i)
    return {
        name: score_outputs(Matched([matched.pairs[i] for i in idx], [], 0), [outputs[i] for i in idx], vocab)
        for name, idx in groups.items()
    }
