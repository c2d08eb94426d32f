"""Score of a finding: a pure function of its evidence records and the weights in ``data/rank_weights.json``.

A finding is one (mechanism, stage, organ, therapy) key; its evidence is every
sentence-level tuple with that key after reviewer corrections. The score is a
weighted count of the papers that support the finding minus the papers that
contradict it::

    value of one evidence sentence   v = T[study type] * c * h
        c = 1 if a reviewer accepted it, else the extractor's confidence (0..1)
        h = 1 if accepted or not hedged, else W_hedged ("may", "suggest")

    support of paper p       s_p = max(v over p's supporting sentences) * R(year_p) * (1 + W_mesh * m_p) * X_p
    contradiction of paper p k_p = max(v over p's contradicting sentences) * R(year_p) * X_p

        R(year) = floor + (1 - floor) * 2 ** (-(reference_year - year) / half_life)   (floor if unknown)
        m_p = 1 if PubMed indexed p with the organ's MeSH heading /secondary (lymph node:
              Lymphatic Metastasis with any qualifier), else 0
        X_p = W_retracted if p is retracted, else 1

    score = sum(s_p) - W_contradiction * sum(k_p)

Rejected evidence counts for nothing. One paper counts once on each side however
many sentences it has (its best sentence), so the score reads as "this many
credible, recent, clinical papers' worth of support". A sentence contradicts the
finding when it is negated or its polarity is opposite to the finding's
direction; the direction is ``promotes`` or ``suppresses``, whichever has more
support (ties go to ``promotes``), and ``associated`` sentences support either.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from pdacmine.config import user_file
from pdacmine.errors import ConfigError
from pdacmine.miner.nlp.vocab import DATA_DIR, read_concepts
from pdacmine.miner.studytype import STUDY_TYPES

WEIGHTS_FILE = "rank_weights.json"
WEIGHTS_PATH = Path(__file__).parent / "data" / WEIGHTS_FILE
#: The user's weights file: this variable, else ``rank_weights.json`` in the config dir (like ``vocab.tsv``).
WEIGHTS_ENV = "PDACMINE_WEIGHTS"
#: The groups of weights a file may give (each a number, or for these two an object of numbers).
_GROUPS = {"study_type": STUDY_TYPES, "recency": ("half_life_years", "floor")}
_TOP = frozenset({"version", "about", "study_type", "recency", "hedged", "mesh_corroboration", "contradiction",
                  "retracted"})  # fmt: skip
#: MeSH qualifier "secondary": how NLM marks "metastasis to this organ".
SECONDARY = "Q000556"
#: Organ key -> MeSH descriptor whose ``/secondary`` qualifier corroborates it: the first MeSH xref of each organ
#: in the shipped ``organs.tsv`` (taxonomy.md).
ORGAN_MESH: dict[str, str] = {
    c.key: mesh[0].removeprefix("MESH:")
    for c in read_concepts(DATA_DIR / "organs.tsv")
    if c.facet == "ORGAN" and (mesh := [x for x in c.xrefs if x.startswith("MESH:")])
}
#: Descriptors that corroborate with any qualifier (Lymphatic Metastasis is itself the metastasis).
ANY_QUALIFIER = frozenset({ORGAN_MESH["lymph-node"]})
_MESH_ORGAN = {ui: organ for organ, ui in ORGAN_MESH.items()}


@dataclass(frozen=True)
class Weights:
    """The weights of the formula (see the module docstring)."""

    study_type: Mapping[str, float]
    hedged: float
    mesh_corroboration: float
    contradiction: float
    half_life_years: float
    recency_floor: float
    retracted: float
    version: int = 1
    digest: str = ""
    #: Where the weights come from: the shipped file's name, or the user's file that overrides it.
    source: str = WEIGHTS_FILE

    def recency(self, year: int | None, reference_year: int) -> float:
        """R(year); a paper from the future (a later reference year) counts as new."""
        if year is None:
            return self.recency_floor
        age = max(0, reference_year - year)
        return self.recency_floor + (1.0 - self.recency_floor) * 2.0 ** (-age / self.half_life_years)

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(self).items()}


def _number(raw: Mapping[str, Any], key: str, source: str, low: float = 0.0, high: float | None = None) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{source}: '{key}' must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{source}: '{key}' = {value} is outside {low}..{high if high is not None else 'inf'}")
    return float(value)


def parse_weights(raw: Mapping[str, Any], source: str = "weights") -> Weights:
    """Validate a weights document; a missing or out-of-range weight raises :class:`ConfigError`."""
    studies = raw.get("study_type")
    if not isinstance(studies, Mapping) or set(studies) != set(STUDY_TYPES):
        raise ConfigError(f"{source}: 'study_type' must give a weight for each of {', '.join(STUDY_TYPES)}")
    recency = raw.get("recency")
    if not isinstance(recency, Mapping):
        raise ConfigError(f"{source}: 'recency' must be an object with half_life_years and floor")
    half_life = _number(recency, "half_life_years", source, 0.1)
    weights_only = {k: v for k, v in raw.items() if k != "about"}  # rewording the comment changes no score
    digest = hashlib.sha256(json.dumps(weights_only, sort_keys=True).encode()).hexdigest()[:10]
    return Weights(
        study_type={k: _number(studies, k, source, 0.0) for k in STUDY_TYPES},
        hedged=_number(raw, "hedged", source, 0.0, 1.0),
        mesh_corroboration=_number(raw, "mesh_corroboration", source, 0.0),
        contradiction=_number(raw, "contradiction", source, 0.0),
        half_life_years=half_life,
        recency_floor=_number(recency, "floor", source, 0.0, 1.0),
        retracted=_number(raw, "retracted", source, 0.0, 1.0),
        version=_version(raw.get("version", 1), source),
        digest=digest,
        source=source,
    )


def _version(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{source}: 'version' must be a whole number, got {value!r}")
    return value


def user_weights_path() -> Path:
    """Where the user's weights file is looked for (``PDACMINE_WEIGHTS`` overrides the config dir)."""
    return user_file(WEIGHTS_ENV, WEIGHTS_FILE)


def load_weights(path: Path | None = None) -> Weights:
    """The ranking weights: the shipped ones, with those the user's file (:func:`user_weights_path`) gives
    instead; ``path`` reads that one complete file alone. A bad file is a one-line :class:`ConfigError`."""
    if path is not None:
        return _load(path, None, 0)
    user = user_weights_path()
    if not user.is_file():
        if os.environ.get(WEIGHTS_ENV):
            raise ConfigError(f"{WEIGHTS_ENV} names {user}, which does not exist; create it or unset {WEIGHTS_ENV}")
        return _load(WEIGHTS_PATH, None, 0)
    return _load(WEIGHTS_PATH, user, user.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, user: Path | None, _mtime: int) -> Weights:
    raw = _read(path)
    if user is None:
        return parse_weights(raw, str(path) if path != WEIGHTS_PATH else WEIGHTS_FILE)
    given = _read(user)
    _check_names(given, str(user))
    merged = {**raw, **given}
    for group in _GROUPS:
        if isinstance(given.get(group), Mapping):
            merged[group] = {**raw[group], **given[group]}
    return parse_weights(merged, str(user))


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read ranking weights {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: ranking weights must be a JSON object like {WEIGHTS_PATH}")
    return raw


def _check_names(given: Mapping[str, Any], source: str) -> None:
    """Every name in a user's weights file is one the formula has (a typo would be silently ignored)."""
    unknown = sorted(set(given) - _TOP)
    for group, names in _GROUPS.items():
        if isinstance(given.get(group), Mapping):
            unknown += [f"{group}.{k}" for k in sorted(set(given[group]) - set(names))]
        elif group in given:
            raise ConfigError(f"{source}: '{group}' must be an object with {', '.join(names)}")
    if unknown:
        raise ConfigError(
            f"{source}: unknown weight(s) {', '.join(unknown)}; known: {', '.join(sorted(_TOP - {'about'}))} "
            f"(study_type: {', '.join(STUDY_TYPES)}; recency: half_life_years, floor)"
        )


class EvidenceInput(NamedTuple):
    """What ranking needs to know about one evidence sentence (after reviewer corrections)."""

    evidence_id: int
    article_id: int
    pmid: str
    year: int | None
    study_type: str
    confidence: float
    hedged: bool
    negated: bool
    polarity: str
    status: str | None  # "accepted" | "rejected" | None (unreviewed)
    mesh_corroborated: bool = False
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class PaperTerm:
    """One paper's contribution, with every factor of its value (for ``rank --explain``)."""

    pmid: str
    article_id: int
    year: int | None
    role: str  # "support" | "contradict"
    evidence_id: int
    study_type: str
    study: float
    confidence: float
    hedge: float
    recency: float
    mesh: float
    retraction: float
    accepted: bool
    value: float


@dataclass(frozen=True)
class Score:
    """A finding's score and counts; ``terms`` (one per paper and side) only when asked to explain."""

    score: float
    support: float
    contradiction: float
    direction: str
    n_papers: int
    n_contradicting: int
    n_evidence: int
    n_accepted: int
    n_rejected: int
    n_unreviewed: int
    first_year: int | None
    last_year: int | None
    reference_year: int
    top_pmids: tuple[str, ...] = ()
    terms: tuple[PaperTerm, ...] = ()

    def detail(self, weights: Weights) -> dict[str, Any]:
        """Compact JSON summary stored on the finding (the full list comes from ``rank --explain``)."""
        return {
            "direction": self.direction,
            "support": round(self.support, 6),
            "contradiction": round(self.contradiction, 6),
            "reference_year": self.reference_year,
            "weights_version": weights.version,
            "weights_digest": weights.digest,
            "top_pmids": list(self.top_pmids),
        }


#: How many best supporting PMIDs a finding remembers (``Finding.score_detail["top_pmids"]``).
TOP_PMIDS = 20


def _sentence_factors(e: EvidenceInput, w: Weights) -> tuple[float, float, float]:
    """(T[study type], c, h) of one sentence: c is the clamped confidence; accepted gives c = h = 1."""
    study = w.study_type.get(e.study_type, w.study_type["other"])
    if e.status == "accepted":
        return study, 1.0, 1.0
    c = e.confidence
    c = 0.0 if c < 0 else 1.0 if c > 1 else c
    return study, c, (w.hedged if e.hedged else 1.0)


def sentence_value(e: EvidenceInput, w: Weights) -> float:
    """T[study type] * c * h of one sentence (accepted: c = h = 1)."""
    study, c, h = _sentence_factors(e, w)
    return study * c * h


def _direction(live: list[tuple[EvidenceInput, float]]) -> str:
    best: dict[tuple[str, int], float] = {}
    for e, v in live:
        if not e.negated and (e.polarity == "promotes" or e.polarity == "suppresses"):
            k = (e.polarity, e.article_id)
            if v > best.get(k, -1.0):
                best[k] = v
    pro = sum(v for (p, _), v in sorted(best.items()) if p == "promotes")
    sup = sum(v for (p, _), v in sorted(best.items()) if p == "suppresses")
    if sup > pro:
        return "suppresses"
    return "promotes" if pro > 0 else "associated"


def contradicts(e: EvidenceInput, direction: str) -> bool:
    """Negated, or the opposite polarity of the finding's direction."""
    opposite = {"promotes": "suppresses", "suppresses": "promotes"}.get(direction)
    return e.negated or (opposite is not None and e.polarity == opposite)


def _factors(e: EvidenceInput, support: bool, w: Weights, reference_year: int) -> tuple[float, float, float]:
    """(recency, MeSH, retraction) factors of the paper ``e`` belongs to."""
    recency = w.recency(e.year, reference_year)
    mesh = 1.0 + w.mesh_corroboration if (support and e.mesh_corroborated) else 1.0
    return recency, mesh, (w.retracted if e.retracted else 1.0)


def _explain(e: EvidenceInput, role: str, w: Weights, factors: tuple[float, float, float], value: float) -> PaperTerm:
    study, c, h = _sentence_factors(e, w)
    return PaperTerm(
        pmid=e.pmid,
        article_id=e.article_id,
        year=e.year,
        role=role,
        evidence_id=e.evidence_id,
        study_type=e.study_type,
        study=study,
        confidence=c,
        hedge=h,
        recency=factors[0],
        mesh=factors[1],
        retraction=factors[2],
        accepted=e.status == "accepted",
        value=value,
    )


def score_finding(
    records: Iterable[EvidenceInput], weights: Weights, reference_year: int, *, explain: bool = False
) -> Score:
    """Score one finding from all of its evidence (rejected sentences are counted, not scored).

    With ``explain`` the result carries one :class:`PaperTerm` per paper and side.
    """
    n = n_accepted = n_rejected = 0
    live: list[tuple[EvidenceInput, float]] = []
    for e in records:
        n += 1
        if e.status == "rejected":
            n_rejected += 1
            continue
        n_accepted += e.status == "accepted"
        live.append((e, sentence_value(e, weights)))
    direction = _direction(live)
    best: dict[tuple[int, bool], tuple[float, int, EvidenceInput]] = {}
    for e, v in live:
        k = (e.article_id, not contradicts(e, direction))
        cur = best.get(k)
        if cur is None or v > cur[0] or (v == cur[0] and e.evidence_id < cur[1]):
            best[k] = (v, e.evidence_id, e)
    support = contradiction = 0.0
    tops: list[tuple[float, str]] = []
    terms: list[PaperTerm] = []
    for k in sorted(best):  # canonical order: float sums do not depend on row order
        v, _, e = best[k]
        factors = _factors(e, k[1], weights, reference_year)
        value = v * factors[0] * factors[1] * factors[2]
        if k[1]:
            support += value
            tops.append((-value, e.pmid))
        else:
            contradiction += value
        if explain:
            terms.append(_explain(e, "support" if k[1] else "contradict", weights, factors, value))
    years = [e.year for e, _ in live if e.year is not None]
    return Score(
        score=support - weights.contradiction * contradiction,
        support=support,
        contradiction=contradiction,
        direction=direction,
        n_papers=len(tops),
        n_contradicting=len(best) - len(tops),
        n_evidence=n,
        n_accepted=n_accepted,
        n_rejected=n_rejected,
        n_unreviewed=n - n_accepted - n_rejected,
        first_year=min(years) if years else None,
        last_year=max(years) if years else None,
        reference_year=reference_year,
        top_pmids=tuple(p for _, p in sorted(tops)[:TOP_PMIDS]),
        terms=tuple(terms),
    )


def mesh_organs(mesh: Iterable[Mapping[str, Any]] | None) -> frozenset[str]:
    """Organ keys an article's MeSH headings mark as metastatic sites (``Liver Neoplasms/secondary`` -> liver)."""
    found: set[str] = set()
    for heading in mesh or ():
        ui = heading.get("ui") if isinstance(heading, Mapping) else None
        organ = _MESH_ORGAN.get(ui or "")
        if organ is None:
            continue
        quals = heading.get("qualifiers") or ()
        if ui in ANY_QUALIFIER or any(
            isinstance(q, Mapping) and (q.get("ui") == SECONDARY or (q.get("name") or "").lower() == "secondary")
            for q in quals
        ):
            found.add(organ)
    return frozenset(found)
