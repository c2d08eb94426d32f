"""Study type of an evidence tuple: clinical | human-tissue | animal | in-vitro | review | other.

Decision, most specific first:

1. A review (PubMed publication type Review / Systematic Review / Meta-Analysis, or "in this
   review", "we review" in the abstract, unless it is a case report) is "review" for every
   tuple: its evidence is second-hand.
2. The sentence's own cues, in order of specificity: animal ("mice", "xenograft", "orthotopic",
   "KPC") > human-tissue ("specimens", "immunohistochemistry", "TMA") > in-vitro ("cell lines",
   "in vitro", "PANC-1") > clinical ("patients", "cohort", "trial").
3. The article: clinical publication types (Clinical Trial*, Randomized Controlled Trial,
   Case Reports, Observational Study...), then the most frequent cue type in the abstract
   (ties broken by the order above), else "other".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdacmine.miner.nlp.cues import CueIndex

STUDY_TYPES = ("clinical", "human-tissue", "animal", "in-vitro", "review", "other")
#: Cue label -> study type, most specific first.
SPECIFICITY = (
    ("STUDY_ANIMAL", "animal"),
    ("STUDY_TISSUE", "human-tissue"),
    ("STUDY_INVITRO", "in-vitro"),
    ("STUDY_CLINICAL", "clinical"),
)
_REVIEW_TYPES = ("review", "systematic review", "meta-analysis", "scoping review")
_CLINICAL_TYPES = (
    "clinical trial",
    "randomized controlled trial",
    "controlled clinical trial",
    "pragmatic clinical trial",
    "case reports",
    "observational study",
    "multicenter study",
    "clinical study",
    "equivalence trial",
    "adaptive clinical trial",
)


def publication_type_names(publication_types: Iterable[Any] | None) -> list[str]:
    """Lower-case names from PubMed publication types given as strings or ``{"ui", "name"}`` dicts."""
    names = []
    for pt in publication_types or ():
        name = pt.get("name", "") if isinstance(pt, Mapping) else str(pt)
        if name:
            names.append(name.strip().lower())
    return names


def from_publication_types(publication_types: Iterable[Any] | None) -> str | None:
    names = publication_type_names(publication_types)
    if any(n in _REVIEW_TYPES for n in names) and "case reports" not in names:
        return "review"
    if any(n.startswith(_CLINICAL_TYPES) for n in names):
        return "clinical"
    return None


def document_study_type(cues: CueIndex, publication_types: Iterable[Any] | None = None) -> str:
    """Study type of the article as a whole."""
    by_type = from_publication_types(publication_types)
    is_case = cues.count("STUDY_CASE") > 0
    if by_type == "review" or (cues.count("STUDY_REVIEW") and not is_case):
        return "review"
    if by_type is not None:
        return by_type
    if is_case:
        return "clinical"
    counts = [(cues.count(label), -rank, kind) for rank, (label, kind) in enumerate(SPECIFICITY)]
    best = max(counts)
    return best[2] if best[0] > 0 else "other"


def sentence_study_type(cues: CueIndex, start: int, end: int) -> str | None:
    """The most specific study-type cue in tokens [start, end), or None."""
    for label, kind in SPECIFICITY:
        if cues.any_within(label, start, end):
            return kind
    return None


def classify(cues: CueIndex, start: int, end: int, document_type: str) -> str:
    """Study type of a claim in tokens [start, end) of an article whose type is ``document_type``."""
    if document_type == "review":
        return "review"
    return sentence_study_type(cues, start, end) or document_type
