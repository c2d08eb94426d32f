"""A finding's score terms summed per publication year, so that a year range is scored by adding rows.

:func:`pdacmine.miner.rank.score_finding` over the papers of some years needs, per year:

- ``pro`` and ``sup``: the sums that decide the direction (a paper's best non-negated ``promotes``,
  resp. ``suppresses``, sentence value);
- for each possible direction (:data:`DIRECTIONS`), the support and contradiction sums (a paper's
  best sentence on each side times its recency, MeSH and retraction factors) and how many papers
  are on each side;
- the sentence counts (all, accepted, rejected) and the live (not rejected) sentences per study type.

A paper has one publication year, and its value on either side depends on that paper alone (the
reference year is fixed), so the terms of a set of years are the sums of their rows: exact, up to
the order in which floating-point numbers are added. Papers without a year are left out: a year
filter never keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pdacmine.miner.rank import EvidenceInput, Weights, sentence_value
from pdacmine.miner.studytype import STUDY_TYPES

#: The directions a finding can take (the order of the per-direction tuples).
DIRECTIONS = ("promotes", "suppresses", "associated")
#: A paper's best sentence value in each group: negated; promotes; suppresses; any other polarity.
_NEG, _PRO, _SUP, _ANY = range(4)


@dataclass(frozen=True, slots=True)
class YearTerms:
    """What one publication year's papers add to a finding (the tuples follow :data:`DIRECTIONS`)."""

    year: int
    pro: float
    sup: float
    support: tuple[float, float, float]
    contradiction: tuple[float, float, float]
    n_papers: tuple[int, int, int]
    n_contradicting: tuple[int, int, int]
    n_evidence: int
    n_accepted: int
    n_rejected: int
    #: live (not rejected) sentences per study type of :data:`~pdacmine.miner.studytype.STUDY_TYPES`
    studies: tuple[int, ...]


def _group(e: EvidenceInput) -> int:
    if e.negated:
        return _NEG
    return _PRO if e.polarity == "promotes" else _SUP if e.polarity == "suppresses" else _ANY


class _Paper:
    __slots__ = ("best", "e")

    def __init__(self, e: EvidenceInput) -> None:
        self.e = e
        self.best = [-1.0, -1.0, -1.0, -1.0]


class _Year:
    __slots__ = ("accepted", "n", "papers", "rejected", "studies")

    def __init__(self) -> None:
        self.n = self.accepted = self.rejected = 0
        self.studies = [0] * len(STUDY_TYPES)
        self.papers: dict[int, _Paper] = {}


_STUDY_INDEX = {s: i for i, s in enumerate(STUDY_TYPES)}


def year_terms(records: Iterable[EvidenceInput], weights: Weights, reference_year: int) -> list[YearTerms]:
    """One :class:`YearTerms` per publication year of ``records`` (one finding's evidence), oldest first.

    A sentence whose study type is not one of ``STUDY_TYPES`` is counted under none of them (the
    study-type sums then fall short of the live count, which tells a reader to count otherwise).
    """
    years: dict[int, _Year] = {}
    for e in records:
        if e.year is None:
            continue
        y = years.get(e.year)
        if y is None:
            y = years[e.year] = _Year()
        y.n += 1
        if e.status == "rejected":
            y.rejected += 1
            continue
        y.accepted += e.status == "accepted"
        study = _STUDY_INDEX.get(e.study_type)
        if study is not None:
            y.studies[study] += 1
        paper = y.papers.get(e.article_id)
        if paper is None:
            paper = y.papers[e.article_id] = _Paper(e)
        v, g = sentence_value(e, weights), _group(e)
        if v > paper.best[g]:
            paper.best[g] = v
    return [_terms(year, years[year], weights, reference_year) for year in sorted(years)]


def _terms(year: int, y: _Year, w: Weights, reference_year: int) -> YearTerms:
    recency = w.recency(year, reference_year)
    pro = sup = 0.0
    support, contradiction, n_support, n_contra = [0.0] * 3, [0.0] * 3, [0] * 3, [0] * 3
    for aid in sorted(y.papers):
        p = y.papers[aid]
        neg, pos, opp, other = p.best  # negated, promotes, suppresses, any other polarity (-1: none)
        pro += max(pos, 0.0)
        sup += max(opp, 0.0)
        retraction = w.retracted if p.e.retracted else 1.0
        mesh = 1.0 + w.mesh_corroboration if p.e.mesh_corroborated else 1.0
        # per direction, the best supporting and the best contradicting sentence: a negated sentence or one of
        # the opposite polarity contradicts (:func:`pdacmine.miner.rank.contradicts`); "associated" has none
        sides = ((max(pos, other), max(neg, opp)), (max(opp, other), max(neg, pos)), (max(pos, opp, other), neg))
        for d, (best_for, best_against) in enumerate(sides):
            if best_for >= 0:
                support[d] += best_for * recency * mesh * retraction
                n_support[d] += 1
            if best_against >= 0:
                contradiction[d] += best_against * recency * retraction
                n_contra[d] += 1
    return YearTerms(
        year=year,
        pro=pro,
        sup=sup,
        support=(support[0], support[1], support[2]),
        contradiction=(contradiction[0], contradiction[1], contradiction[2]),
        n_papers=(n_support[0], n_support[1], n_support[2]),
        n_contradicting=(n_contra[0], n_contra[1], n_contra[2]),
        n_evidence=y.n,
        n_accepted=y.accepted,
        n_rejected=y.rejected,
        studies=tuple(y.studies),
    )
