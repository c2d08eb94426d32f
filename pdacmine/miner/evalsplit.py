"""The development / locked split of the gold records and the reliability of ``confidence`` (issue #8).

``eval/split.json`` (written by ``scripts/make_split.py``) names the *locked* records, scored rarely
and never read, and the development records dealt into k folds for cross-validation. Records are
named as gold matching names them: ``pmid``, ``doi``, ``title_prefix``.

:func:`reliability` bins the tuples of ``annotate`` output by ``confidence`` and gives, per bin, how
many tuples there are and how many are right: a tuple is right when every pair it makes is in its
record's gold pairs, and a tuple with no pair (a mechanism linked to metastasis in general) when
its mechanism category is in the record's gold categories.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdacmine.errors import InputError
from pdacmine.miner.document_sets import as_document, combination_components
from pdacmine.miner.evaluate import Matched
from pdacmine.miner.evidence import AnnotatedDocument, EvidenceRecord
from pdacmine.miner.gold_standard import GoldRecord, identity
from pdacmine.miner.nlp.vocab import Vocabulary

DEVELOPMENT = "development"
LOCKED = "locked"
UNSPLIT = "unsplit"
#: Upper edges of the reliability bins (the last bin includes 1.0).
BIN_EDGES = (0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True, slots=True)
class Split:
    """Identities (:func:`pdacmine.miner.gold_standard.identity`) of the locked records and of each fold."""

    locked: frozenset[str]
    folds: tuple[frozenset[str], ...]
    seed: int | None = None
    #: development records that are scored but never trained on (the claim model's training leaves them out)
    untrained: frozenset[str] = frozenset()

    def trains(self, ident: str) -> bool:
        """Whether the claim model may be trained on the development record ``ident``."""
        return self.fold(ident) is not None and ident not in self.untrained

    def part(self, ident: str) -> str:
        if ident in self.locked:
            return LOCKED
        return DEVELOPMENT if self.fold(ident) is not None else UNSPLIT

    def fold(self, ident: str) -> int | None:
        for i, members in enumerate(self.folds):
            if ident in members:
                return i
        return None


def gold_identity(g: GoldRecord) -> str:
    return identity(g.pmid, g.doi, g.title_prefix)


def _ids(items: Any, where: str) -> frozenset[str]:
    if not isinstance(items, list):
        raise InputError(f"{where}: expected a list of records (pmid, doi, title_prefix)")
    out = set()
    for item in items:
        if not isinstance(item, dict):
            raise InputError(f"{where}: each record must be an object with pmid, doi, title_prefix")
        ident = identity(item.get("pmid"), item.get("doi"), item.get("title_prefix"))
        if not ident:
            raise InputError(f"{where}: a record needs a pmid, a doi or a title_prefix")
        out.add(ident)
    return frozenset(out)


def read_split(path: Path) -> Split:
    """Read a split file; a missing file, bad JSON or a record in two parts raises :class:`InputError`."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the split ({exc})") from exc
    if not isinstance(raw, dict) or "locked" not in raw or "folds" not in raw:
        raise InputError(f"{path}: a split is an object with 'locked' and 'folds'")
    locked = _ids(raw["locked"], f"{path}: locked")
    if not isinstance(raw["folds"], list) or not raw["folds"]:
        raise InputError(f"{path}: 'folds' must be a non-empty list of lists")
    folds = tuple(_ids(f, f"{path}: fold {i + 1}") for i, f in enumerate(raw["folds"]))
    seen: set[str] = set(locked)
    for i, fold in enumerate(folds):
        if seen & fold:
            raise InputError(f"{path}: fold {i + 1} repeats a record of the locked fold or of another fold")
        seen |= fold
    seed = raw.get("seed")
    untrained = _ids(raw.get("untrained", []), f"{path}: untrained")
    if untrained - frozenset().union(*folds):
        raise InputError(f"{path}: 'untrained' names a record that is in no development fold")
    return Split(locked, folds, seed if isinstance(seed, int) else None, untrained)


def partition(matched: Matched, split: Split) -> dict[str, Matched]:
    """The matched records of each part (development, locked, unsplit), same missing list for all."""
    parts: dict[str, list[tuple[GoldRecord, dict[str, Any]]]] = {DEVELOPMENT: [], LOCKED: [], UNSPLIT: []}
    for g, rec in matched.pairs:
        parts[split.part(gold_identity(g))].append((g, rec))
    return {name: Matched(pairs, matched.missing, matched.unannotated) for name, pairs in parts.items()}


def fold_of(matched: Matched, split: Split) -> list[int | None]:
    """The development fold of each matched record, in order (None outside the folds)."""
    return [split.fold(gold_identity(g)) for g, _ in matched.pairs]


def trainable(matched: Matched, split: Split) -> list[bool]:
    """Whether the claim model may be trained on each matched record, in order."""
    return [split.trains(gold_identity(g)) for g, _ in matched.pairs]


# --------------------------------------------------------------------------- reliability of confidence


@dataclass(slots=True)
class Bin:
    low: float
    high: float
    n: int = 0
    right: int = 0

    @property
    def precision(self) -> float | None:
        return self.right / self.n if self.n else None


@dataclass(slots=True)
class Reliability:
    bins: list[Bin] = field(default_factory=list)

    def at_least(self, threshold: float) -> Bin:
        """All tuples with confidence >= ``threshold`` as one bin."""
        out = Bin(threshold, 1.0)
        for b in self.bins:
            if b.low >= threshold - 1e-9:
                out.n += b.n
                out.right += b.right
        return out

    def as_dict(self) -> list[dict[str, Any]]:
        return [{"low": b.low, "high": b.high, "n": b.n, "right": b.right, "precision": b.precision} for b in self.bins]


def _drugs(vocab: Vocabulary | None, key: str) -> tuple[str, ...]:
    return combination_components(vocab, key) or (key,)


def tuple_pairs(tup: EvidenceRecord, vocab: Vocabulary | None = None) -> list[tuple[str, tuple[str, str]]]:
    """The (pair type, pair) items one evidence tuple asserts."""
    category = tup.mechanism.category if tup.mechanism is not None else None
    drug = tup.therapy.key if tup.therapy is not None else None
    out: list[tuple[str, tuple[str, str]]] = []
    if category and tup.organ:
        out.append(("mechanism-organ", (category, tup.organ)))
    if category and tup.stage:
        out.append(("mechanism-stage", (category, tup.stage)))
    if drug and tup.organ:
        out += [("therapy-organ", (d, tup.organ)) for d in _drugs(vocab, drug)]
    return out


def tuple_right(tup: EvidenceRecord, gold: GoldRecord, vocab: Vocabulary | None = None) -> bool:
    """Every pair of the tuple is in gold; a tuple without a pair needs its mechanism category in gold."""
    pairs = tuple_pairs(tup, vocab)
    if pairs:
        return all(item in gold.sets[kind] for kind, item in pairs)
    category = tup.mechanism.category if tup.mechanism is not None else None
    return bool(category) and category in gold.sets["mechanisms"]


def reliability(
    scored: Iterable[tuple[GoldRecord, AnnotatedDocument | Mapping[str, Any]]],
    vocab: Vocabulary | None = None,
    edges: Sequence[float] = BIN_EDGES,
) -> Reliability:
    """Confidence bins of every non-negated tuple of the outputs, with the share that is right."""
    lows = (0.0, *edges[:-1])
    result = Reliability([Bin(lo, hi) for lo, hi in zip(lows, edges, strict=True)])
    for gold, output in scored:
        for tup in as_document(output).tuples:
            if tup.negated:
                continue
            index = next((i for i, hi in enumerate(edges) if tup.confidence < hi), len(edges) - 1)
            result.bins[index].n += 1
            result.bins[index].right += tuple_right(tup, gold, vocab)
    return result
