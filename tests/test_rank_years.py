"""A finding's per-year terms add up to its score over any set of years (pdacmine.miner.rank_years)."""

from __future__ import annotations

import random

import pytest

from pdacmine.miner.rank import EvidenceInput, load_weights, score_finding
from pdacmine.miner.rank_years import DIRECTIONS, year_terms

YEARS = (2001, 2015, 2019, 2020, 2022, 2025)


def _evidence(rng: random.Random, n_papers: int) -> list[EvidenceInput]:
    out = []
    for paper in range(n_papers):
        year = rng.choice((*YEARS, None))
        mesh, retracted = rng.random() < 0.3, rng.random() < 0.1
        for _ in range(rng.randint(1, 3)):
            study = rng.choice(("clinical", "animal", "in-vitro", "review", "other"))
            confidence = rng.choice((0.0, 0.25, 0.5, rng.random()))
            polarity = rng.choice(("promotes", "promotes", "suppresses", "associated"))
            status = rng.choice((None, None, None, "accepted", "rejected"))
            hedged, negated = rng.random() < 0.3, rng.random() < 0.15
            out.append(EvidenceInput(len(out) + 1, paper + 1, str(1000 + paper), year, study, confidence, hedged,
                                     negated, polarity, status, mesh, retracted))  # fmt: skip
    return out


@pytest.mark.parametrize("seed", range(40))
def test_the_terms_of_some_years_sum_to_the_score_of_their_papers(seed: int) -> None:
    rng = random.Random(seed)
    weights, evidence = load_weights(), _evidence(rng, rng.randint(1, 12))
    terms = year_terms(evidence, weights, 2026)
    assert [t.year for t in terms] == sorted({e.year for e in evidence if e.year is not None})
    kept = set(rng.sample(YEARS, rng.randint(1, len(YEARS))))
    exact = score_finding([e for e in evidence if e.year in kept], weights, 2026)
    rows = [t for t in terms if t.year in kept]
    pro, sup = sum(t.pro for t in rows), sum(t.sup for t in rows)
    d = 1 if sup > pro else 0 if pro > 0 else 2
    assert DIRECTIONS[d] == exact.direction
    support = sum(t.support[d] for t in rows)
    contradiction = sum(t.contradiction[d] for t in rows)
    assert support == pytest.approx(exact.support, abs=1e-9)
    assert contradiction == pytest.approx(exact.contradiction, abs=1e-9)
    assert sum(t.n_papers[d] for t in rows) == exact.n_papers
    assert sum(t.n_contradicting[d] for t in rows) == exact.n_contradicting
    assert sum(t.n_evidence for t in rows) == exact.n_evidence
    assert (sum(t.n_accepted for t in rows), sum(t.n_rejected for t in rows)) == (exact.n_accepted, exact.n_rejected)
    live = [t.year for t in rows if t.n_evidence > t.n_rejected]
    assert (min(live, default=None), max(live, default=None)) == (exact.first_year, exact.last_year)
    assert sum(sum(t.studies) for t in rows) == exact.n_accepted + exact.n_unreviewed
