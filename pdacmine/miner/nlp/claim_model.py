"""The learned claim classifier: is a candidate pair of a sentence asserted? (issue #8).

The rules of :mod:`pdacmine.miner.relations` propose candidates; this module decides. A tuple
yields up to four *candidates*:

- ``mechanism``: the mechanism's category is asserted as a metastasis mechanism;
- ``mechanism-organ`` / ``mechanism-stage``: (category, organ) / (category, stage);
- ``therapy-organ``: (therapy key, organ).

Each candidate is described by sparse binary features (:func:`candidate_features`: the relation
words and cue labels between its two members, their distance, the sentence's cues, the concepts'
categories, whether the pair recurs in the abstract...) and scored by a logistic model whose
weights and feature vocabulary ship as ``data/claim_model.json`` (written by
``scripts/train_claims.py``; inference is a dictionary lookup, no library needed).

:func:`judge` keeps a tuple's organ, stage or therapy only when its pair's probability reaches the
model's threshold, drops the tuple when nothing of it is asserted, and sets ``confidence`` to the
smallest probability of what it kept (a calibrated probability: see eval/README.md for the
reliability table).

:func:`using` swaps the model for a block of code (``None``: keep every candidate, as the rules
propose it); :func:`recording` collects each judged document's candidates, for training.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdacmine.errors import InputError
from pdacmine.miner.nlp.claim_features import DocContext, candidate_features
from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.pairing import SentenceMembers

if TYPE_CHECKING:
    from pdacmine.miner.relations import EvidenceTuple

MODEL_FILE = Path(__file__).parent / "data" / "claim_model.json"
KINDS = ("mechanism", "mechanism-organ", "mechanism-stage", "therapy-organ")
_WORD = re.compile(r"^[a-z][a-z-]*$")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One decision: ``kind`` (:data:`KINDS`), the item it asserts, and its features."""

    kind: str
    item: tuple[str, str] | str
    features: tuple[str, ...]


@dataclass(frozen=True)
class ClaimModel:
    """Logistic weights per feature name; ``threshold`` per candidate kind."""

    weights: dict[str, float]
    bias: float
    threshold: dict[str, float]
    digest: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: Sequence[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def accepts(self, kind: str, p: float, rule: bool = True) -> bool:
        """``p`` reaches the threshold of ``kind`` (``kind|broad`` for a candidate the rules do not make)."""
        return p >= self.threshold.get(kind if rule else f"{kind}|broad", 0.5)

    def to_json(self) -> str:
        body = {"meta": self.meta, "bias": self.bias, "threshold": self.threshold}
        body["weights"] = {k: round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-5}
        return json.dumps(body, indent=0, sort_keys=True) + "\n"


def parse_model(raw: dict[str, Any], digest: str = "") -> ClaimModel:
    try:
        return ClaimModel(
            weights={str(k): float(v) for k, v in raw["weights"].items()},
            bias=float(raw["bias"]),
            threshold={str(k): float(v) for k, v in raw["threshold"].items()},
            digest=digest,
            meta=dict(raw.get("meta") or {}),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed claim model: {exc!r}") from exc


def load_model(path: Path = MODEL_FILE) -> ClaimModel | None:
    """The model of ``path``; None when the file does not exist (every candidate is kept)."""
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
        raw = json.loads(data)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read claim model {path}: {exc}") from exc
    return parse_model(raw, hashlib.sha256(data).hexdigest()[:8])


@lru_cache(maxsize=1)
def default_model() -> ClaimModel | None:
    return load_model()


_DEFAULT = object()
_active: ContextVar[Any] = ContextVar("pdac_claim_model", default=_DEFAULT)
_recorder: ContextVar[list[list[Candidate]] | None] = ContextVar("pdac_claim_recorder", default=None)


def active_model() -> ClaimModel | None:
    model = _active.get()
    return default_model() if model is _DEFAULT else model


@contextmanager
def using(model: ClaimModel | None) -> Iterator[None]:
    """Judge with ``model`` (None: keep every candidate) inside the block (one process)."""
    token = _active.set(model)
    try:
        yield
    finally:
        _active.reset(token)


@contextmanager
def recording() -> Iterator[list[list[Candidate]]]:
    """Collect the candidates of each judged document (one list per document with tuples)."""
    out: list[list[Candidate]] = []
    token = _recorder.set(out)
    try:
        yield out
    finally:
        _recorder.reset(token)


# --------------------------------------------------------------------------- judging the tuples of a document

Slot = tuple[str, tuple[str, str] | str, Mention, Mention | None, str | None]
"""(kind, item, head, partner, tuple slot the candidate decides: "organ" | "stage" | "therapy" | None)"""


def tuple_slots(t: EvidenceTuple) -> list[Slot]:
    """The candidates one tuple makes, without their features."""
    mech, stage, organ, therapy = t.mechanism, t.stage, t.organ, t.therapy
    out: list[Slot] = []
    if mech is not None:
        category = mech.category or mech.key
        out.append(("mechanism", category, mech, organ or stage, None))
        if organ is not None:
            out.append(("mechanism-organ", (category, organ.key), mech, organ, "organ"))
        if stage is not None:
            out.append(("mechanism-stage", (category, stage.key), mech, stage, "stage"))
    if therapy is not None and organ is not None:
        out.append(("therapy-organ", (therapy.key, organ.key), therapy, organ, "therapy"))
    return out


def judge(
    tuples: list[EvidenceTuple],
    strict: set[int],
    words: list[str],
    cues: CueIndex,
    bounds: list[tuple[int, int]],
    labels: Sequence[str],
    members: Sequence[SentenceMembers] = (),
) -> list[EvidenceTuple]:
    """The tuples the active model asserts, trimmed and with calibrated ``confidence`` (module docstring).

    ``strict`` holds the ids of the tuples the pairing rules make; without a model only those are kept.
    ``members``: the counted mentions of each sentence (title first), for document-level features.
    """
    model, recorder = active_model(), _recorder.get()
    if not tuples or (model is None and recorder is None):
        return [t for t in tuples if id(t) in strict]
    slots = [tuple_slots(t) for t in tuples]
    counts = Counter((kind, item) for per in slots for kind, item, *_ in per)
    sites = len({t.organ.key for t in tuples if t.organ is not None})
    ctx = DocContext(words, cues, bounds, tuple(labels), counts, sites, *document_facts(members))
    featured = [
        [(s, Candidate(s[0], s[1], candidate_features(s[0], t, s[2], s[3], s[1], id(t) in strict, ctx))) for s in per]
        for t, per in zip(tuples, slots, strict=True)
    ]
    if recorder is not None:
        recorder.append([c for per in featured for _, c in per])
    if model is None:
        return [t for t in tuples if id(t) in strict]
    return [t for t, per in zip(tuples, featured, strict=True) if _decide(t, per, model, id(t) in strict)]


def document_facts(members: Sequence[SentenceMembers]) -> tuple[frozenset[str], Counter[str], dict[str, int]]:
    """The organ and stage keys of the title; in how many sentences each organ/stage key is named; the
    first sentence after the title that names each key (the title when only it does)."""
    title = frozenset(m.key for m in (*members[0].organs, *members[0].stages)) if members else frozenset()
    spread = Counter(k for s in members for k in {m.key for m in (*s.organs, *s.stages)})
    first: dict[str, int] = {}
    for i in [*range(1, len(members)), 0][: len(members)]:
        s = members[i]
        for m in (*s.mechanisms, *s.stages, *s.organs, *s.therapies):
            first.setdefault(m.key, i)
    return title, spread, first


def _decide(t: EvidenceTuple, per: list[tuple[Slot, Candidate]], model: ClaimModel, rule: bool) -> bool:
    """Trim ``t`` to what the model accepts; False when nothing of it is asserted."""
    slots = [kind for (kind, *_), _ in per if kind != "mechanism"]
    p = {kind: model.probability(cand.features) for (kind, *_), cand in per}
    ok = {kind: model.accepts(kind, value, rule) for kind, value in p.items()}
    if t.mechanism is not None and t.organ is not None and not ok["mechanism-organ"]:
        if ok.get("therapy-organ") and not ok["mechanism"] and not ok.get("mechanism-stage"):
            t.mechanism, t.stage = None, None  # only the therapy-organ pair is asserted
            p = {"therapy-organ": p["therapy-organ"]}
        else:
            t.organ = None
    if t.stage is not None and not ok.get("mechanism-stage"):
        t.stage = None
    if t.therapy is not None and t.organ is not None and not ok.get("therapy-organ"):
        if t.mechanism is None:
            return False
        t.therapy = None
    kept = [p[k] for k in ("mechanism-organ", "mechanism-stage", "therapy-organ") if k in p and ok[k]]
    if t.mechanism is not None and not (t.organ or t.stage) and not (ok["mechanism"] and (rule or not slots)):
        return False  # a broad candidate whose pairs are all rejected asserts no mechanism either
    if t.mechanism is not None and ok.get("mechanism"):
        kept.append(p["mechanism"])
    if not kept:
        return False
    t.confidence = round(min(kept), 3)
    return True
