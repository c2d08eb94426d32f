"""The typed evidence record, evidence identity and reviewer overrides.

:class:`AnnotatedDocument` (with :class:`EntityRecord`, :class:`EvidenceRecord` and
:class:`DocumentSummary`) is what the NLP hands on: ``annotate`` writes its :meth:`~AnnotatedDocument.to_json`,
the database stores its evidence records, ``evaluate`` scores it. Keys and overrides are shared by
extraction, ranking and review.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The four slots of a tuple, in finding-key order.
SLOTS = ("mechanism_key", "stage", "organ", "therapy_key")
#: Slots a reviewer may correct (category/class follow the concept via the vocabulary).
CORRECTABLE = ("mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class", "polarity")

_SPACE = re.compile(r"\s+")


def normalise_sentence(sentence: str) -> str:
    return _SPACE.sub(" ", sentence).strip().lower()


def evidence_key(
    pmid: str, sentence: str, mechanism_key: str | None, stage: str | None, organ: str | None, therapy_key: str | None
) -> str:
    """Stable 40-hex key of one machine tuple: same PMID, sentence and slots -> same key.

    Independent of extractor version and offsets, so review decisions keyed by it
    survive re-extraction.
    """
    parts = [pmid.strip(), normalise_sentence(sentence), *(s or "" for s in (mechanism_key, stage, organ, therapy_key))]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def finding_key(mechanism_key: str | None, stage: str | None, organ: str | None, therapy_key: str | None) -> str:
    """Human-readable key of a finding: ``mechanism|stage|organ|therapy`` with ``-`` for empty."""
    return "|".join(s or "-" for s in (mechanism_key, stage, organ, therapy_key))


def effective_slots(machine: Mapping[str, Any], corrections: Mapping[str, Any] | None) -> dict[str, Any]:
    """Machine slot values with a reviewer's corrections applied (a correction to None clears a slot)."""
    out = {k: machine.get(k) for k in CORRECTABLE}
    for k, v in (corrections or {}).items():
        if k in CORRECTABLE:
            out[k] = v
    return out


# --- the typed evidence record: NLP -> annotate JSON, database, evaluation ------------------------------------


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One counted entity of an ``annotate`` object (offsets into the document text)."""

    start: int
    end: int
    text: str
    label: str  # ORGAN | STAGE | MECHANISM | THERAPY
    key: str
    category: str | None = None  # mechanism category or therapy class; None for ORGAN and STAGE
    concept_id: str | None = None
    negated: bool = False
    hedged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
            "key": self.key,
            "category": self.category,
            "concept_id": self.concept_id,
            "negated": self.negated,
            "hedged": self.hedged,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> EntityRecord:
        return cls(
            start=int(obj.get("start") or 0),
            end=int(obj.get("end") or 0),
            text=str(obj.get("text") or ""),
            label=str(obj.get("label") or ""),
            key=str(obj.get("key") or ""),
            category=_str_or_none(obj.get("category")),
            concept_id=_str_or_none(obj.get("concept_id")),
            negated=bool(obj.get("negated")),
            hedged=bool(obj.get("hedged")),
        )


@dataclass(frozen=True, slots=True)
class ConceptRef:
    """A tuple's mechanism or therapy: key, category (therapy: class) and concept ID."""

    key: str
    category: str | None = None
    concept_id: str | None = None

    def to_json(self, category_field: str = "category") -> dict[str, Any]:
        return {"key": self.key, category_field: self.category, "concept_id": self.concept_id}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None, category_field: str = "category") -> ConceptRef | None:
        if not obj:
            return None
        return cls(
            str(obj.get("key") or ""), _str_or_none(obj.get(category_field)), _str_or_none(obj.get("concept_id"))
        )


@dataclass(frozen=True, slots=True)
class MemberSpan:
    """Where a tuple member sits in its sentence (offsets relative to the sentence)."""

    start: int
    end: int
    label: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label, "key": self.key}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MemberSpan:
        return cls(
            int(obj.get("start") or 0), int(obj.get("end") or 0), str(obj.get("label") or ""), str(obj.get("key") or "")
        )


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One evidence tuple: a sentence-level claim linking mechanism, stage, organ and therapy."""

    sentence: str
    start: int
    end: int
    section: str | None
    mechanism: ConceptRef | None
    stage: str | None
    organ: str | None
    therapy: ConceptRef | None
    polarity: str = "associated"
    negated: bool = False
    hedged: bool = False
    study_type: str = "other"
    confidence: float = 0.5
    spans: tuple[MemberSpan, ...] = ()

    @property
    def mechanism_key(self) -> str | None:
        return self.mechanism.key if self.mechanism else None

    @property
    def therapy_key(self) -> str | None:
        return self.therapy.key if self.therapy else None

    def evidence_key(self, pmid: str) -> str:
        return evidence_key(pmid, self.sentence, self.mechanism_key, self.stage, self.organ, self.therapy_key)

    def to_json(self) -> dict[str, Any]:
        mech, ther = self.mechanism, self.therapy
        return {
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "mechanism": mech.to_json() if mech else None,
            "stage": self.stage,
            "organ": self.organ,
            "therapy": ther.to_json("class") if ther else None,
            "polarity": self.polarity,
            "negated": self.negated,
            "hedged": self.hedged,
            "study_type": self.study_type,
            "confidence": self.confidence,
            "spans": [s.to_json() for s in self.spans],
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> EvidenceRecord:
        return cls(
            sentence=str(obj.get("sentence") or ""),
            start=int(obj.get("start") or 0),
            end=int(obj.get("end") or 0),
            section=_str_or_none(obj.get("section")),
            mechanism=ConceptRef.from_json(obj.get("mechanism")),
            stage=_str_or_none(obj.get("stage")),
            organ=_str_or_none(obj.get("organ")),
            therapy=ConceptRef.from_json(obj.get("therapy"), "class"),
            polarity=str(obj.get("polarity") or "associated"),
            negated=bool(obj.get("negated")),
            hedged=bool(obj.get("hedged")),
            study_type=str(obj.get("study_type") or "other"),
            confidence=float(obj.get("confidence", 0.5)),
            spans=tuple(MemberSpan.from_json(s) for s in obj.get("spans") or ()),
        )


Pair = tuple[str, str]
#: ``document.pairs`` keys -> DocumentSummary fields
PAIR_KINDS = {
    "mechanism-organ": "mechanism_organ",
    "mechanism-stage": "mechanism_stage",
    "therapy-organ": "therapy_organ",
}


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """Document-level sets: non-negated entities and tuples; mechanism categories only from tuples."""

    organs: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    mechanisms: tuple[str, ...] = ()
    mechanism_keys: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    therapy_classes: tuple[str, ...] = ()
    mechanism_organ: tuple[Pair, ...] = ()
    mechanism_stage: tuple[Pair, ...] = ()
    therapy_organ: tuple[Pair, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "organs": list(self.organs),
            "stages": list(self.stages),
            "mechanisms": list(self.mechanisms),
            "mechanism_keys": list(self.mechanism_keys),
            "therapies": list(self.therapies),
            "therapy_classes": list(self.therapy_classes),
            "pairs": {kind: [list(p) for p in getattr(self, name)] for kind, name in PAIR_KINDS.items()},
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> DocumentSummary:
        obj = obj or {}
        pairs = obj.get("pairs") or {}

        def keys(name: str) -> tuple[str, ...]:
            return tuple(str(v) for v in obj.get(name) or ())

        def pairs_of(kind: str) -> tuple[Pair, ...]:
            return tuple((str(a), str(b)) for a, b in pairs.get(kind) or ())

        return cls(
            organs=keys("organs"),
            stages=keys("stages"),
            mechanisms=keys("mechanisms"),
            mechanism_keys=keys("mechanism_keys"),
            therapies=keys("therapies"),
            therapy_classes=keys("therapy_classes"),
            mechanism_organ=pairs_of("mechanism-organ"),
            mechanism_stage=pairs_of("mechanism-stage"),
            therapy_organ=pairs_of("therapy-organ"),
        )


@dataclass(frozen=True, slots=True)
class AnnotatedDocument:
    """One ``annotate`` output object (format in :mod:`pdacmine.miner.annotate`)."""

    pmid: str
    text: str
    primary: str = "unknown"  # pancreatic | other | unknown
    study_type: str = "other"
    entities: tuple[EntityRecord, ...] = ()
    tuples: tuple[EvidenceRecord, ...] = ()
    document: DocumentSummary = DocumentSummary()

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``annotate`` writes (keys in the documented order)."""
        return {
            "pmid": self.pmid,
            "text": self.text,
            "primary": self.primary,
            "study_type": self.study_type,
            "entities": [e.to_json() for e in self.entities],
            "tuples": [t.to_json() for t in self.tuples],
            "document": self.document.to_json(),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AnnotatedDocument:
        """Read an ``annotate`` object back; missing parts (a partial or baseline object) get their defaults."""
        return cls(
            pmid=str(obj.get("pmid") or ""),
            text=str(obj.get("text") or ""),
            primary=str(obj.get("primary") or "unknown"),
            study_type=str(obj.get("study_type") or "other"),
            entities=tuple(EntityRecord.from_json(e) for e in obj.get("entities") or ()),
            tuples=tuple(EvidenceRecord.from_json(t) for t in obj.get("tuples") or ()),
            document=DocumentSummary.from_json(obj.get("document")),
        )
