"""What one document asserts, as sets of keys and key pairs per measure, for evaluation.

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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pdacmine.miner.evidence import AnnotatedDocument
from pdacmine.miner.nlp.vocab import DATA_DIR, Vocabulary
from pdacmine.miner.nlp.vocab_tsv import read_categories

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

Item = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class DocumentSets:
    """What one document asserts: a set of keys (or key pairs) per measure."""

    items: Mapping[str, frozenset[Item]]

    def __getitem__(self, measure: str) -> frozenset[Item]:
        return self.items.get(measure, frozenset())


def empty_sets() -> dict[str, set[Item]]:
    return {m: set() for m in MEASURES}


def freeze_sets(sets: Mapping[str, set[Item]]) -> DocumentSets:
    return DocumentSets({m: frozenset(sets.get(m, ())) for m in MEASURES})


def as_document(output: AnnotatedDocument | Mapping[str, Any]) -> AnnotatedDocument:
    """A tagger's output as a typed record (a JSON object, e.g. the baseline's, is read with its defaults)."""
    return output if isinstance(output, AnnotatedDocument) else AnnotatedDocument.from_json(output)


def document_sets(output: AnnotatedDocument | Mapping[str, Any], vocab: Vocabulary | None = None) -> DocumentSets:
    """Document-level sets of one ``annotate`` record (``entities`` + ``tuples``), negated items left out."""
    doc = as_document(output)
    sets = empty_sets()
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
    expand_combinations(sets, vocab, classes)
    therapies = [str(t) for t in sets["therapies"]]
    sets["therapy_classes"] = {classes[t] for t in therapies if t in classes}
    sets["therapy_classes"] |= {c for t in therapies if t not in classes and (c := _vocab_class(vocab, t))}
    return freeze_sets(sets)


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


def expand_combinations(sets: dict[str, set[Item]], vocab: Vocabulary | None, classes: dict[str, str]) -> None:
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
