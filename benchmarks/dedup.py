"""Deduplication quality and speed; prints figures, asserts nothing (tests/test_dedup.py keeps the targets).

Quality: on tests/data/dedup_cases.jsonl (invented records with known answers, written by
scripts/make_dedup_cases.py: case, punctuation, HTML entities, transliteration, Greek
letters, truncated titles, missing DOI, identifier-only matches; hard non-duplicates: the
same title in another year, errata, comments, replies, sibling studies), pairwise precision
and recall of the merges ``pdacmine dedup`` would make, the pairs missed and wrongly merged,
and the near-duplicates it would show a person. Targets (issue #11): precision >= 0.99,
recall >= 0.95.

Speed: ``--scale N`` also times matching over N synthetic records (random invented titles,
one in five duplicated with a variant).

Usage:
  python benchmarks/dedup.py
  python benchmarks/dedup.py --scale 50000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

from pdacmine.miner.dedup import DedupPlan, DedupRecord, plan_dedup
from pdacmine.miner.sources.records import normalise_doi, normalise_pmcid

CASES = Path(__file__).parents[1] / "tests" / "data" / "dedup_cases.jsonl"


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def to_record(case: dict[str, Any]) -> DedupRecord:
    """A case as ``pdacmine dedup`` loads a stored record (identifiers normalised the same way)."""
    return DedupRecord(
        id=case["id"], title=case["title"], year=case.get("year"), first_author=case.get("first_author"),
        pmid=case.get("pmid"), doi=normalise_doi(case.get("doi")), pmcid=normalise_pmcid(case.get("pmcid")),
    )  # fmt: skip


def true_pairs(cases: list[dict[str, Any]]) -> set[tuple[int, int]]:
    clusters: dict[str, list[int]] = {}
    for case in cases:
        clusters.setdefault(case["cluster"], []).append(case["id"])
    return {(min(a, b), max(a, b)) for ids in clusters.values() for a, b in combinations(ids, 2)}


def evaluate(cases: list[dict[str, Any]]) -> tuple[float, float, DedupPlan, set[tuple[int, int]]]:
    """(precision, recall, plan, true pairs) of the merges on ``cases``."""
    plan = plan_dedup([to_record(c) for c in cases])
    predicted, truth = plan.pairs(), true_pairs(cases)
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, plan, truth


def _kind_of_pair(by_id: dict[int, dict[str, Any]], pair: tuple[int, int]) -> str:
    kinds = sorted({by_id[pair[0]]["kind"], by_id[pair[1]]["kind"]} - {"pubmed"}) or ["pubmed"]
    return "+".join(kinds)


def quality() -> None:
    cases = load_cases()
    by_id = {c["id"]: c for c in cases}
    precision, recall, plan, truth = evaluate(cases)
    predicted = plan.pairs()
    print(f"records {len(cases)}, studies {len({c['cluster'] for c in cases})}, duplicate pairs {len(truth)}")
    print(f"merged pairs {len(predicted)}: precision {precision:.3f}, recall {recall:.3f} (targets 0.99 / 0.95)")
    missed = Counter(_kind_of_pair(by_id, p) for p in truth - predicted)
    wrong = Counter(_kind_of_pair(by_id, p) for p in predicted - truth)
    print("missed pairs by variant:", dict(missed.most_common()) or "none")
    print("wrong merges by kind:", dict(wrong.most_common()) or "none")
    near_true = sum((min(m.a, m.b), max(m.a, m.b)) in truth for m in plan.near)
    print(f"near-duplicates shown to a person: {len(plan.near)} ({near_true} of them true duplicates)")


WORDS = [
    "pancreatic", "cancer", "metastasis", "liver", "lung", "peritoneal", "niche", "stromal", "fibroblast",
    "macrophage", "signalling", "organoid", "mouse", "cohort", "survival", "recurrence", "chemotherapy",
    "resistance", "invasion", "hypoxia", "exosome", "integrin", "immune", "T-cell", "neutrophil", "tumour",
    "microenvironment", "epithelial", "mesenchymal", "transition",
]  # fmt: skip


def scale(n: int) -> None:
    rng = random.Random(7)
    records = []
    for i in range(n):
        if i and rng.random() < 0.2:
            src = records[rng.randrange(len(records))]
            records.append(DedupRecord(i, src.title.upper() + ".", src.year, src.first_author))
            continue
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))
        records.append(DedupRecord(i, title, rng.randint(2000, 2026), f"Author{rng.randrange(n // 3 + 1)}"))
    started = time.perf_counter()
    plan = plan_dedup(records)
    seconds = time.perf_counter() - started
    rate = n / seconds
    print(f"scale: {n:,} records matched in {seconds:.1f} s ({rate:,.0f} records/s), {len(plan.groups):,} groups")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="also time matching over N synthetic records")
    args = parser.parse_args()
    quality()
    if args.scale:
        scale(args.scale)


if __name__ == "__main__":
    main()
