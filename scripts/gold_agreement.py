"""Agreement between two independent annotators' gold files, and the records to adjudicate.

Both files are in the format of ``annotation.md`` and are read (and validated) by the same reader as
``pdacmine evaluate``; records are matched by PMID, else DOI, else title prefix. Agreement per measure
is the F1 of annotator A scored against annotator B (symmetric), micro-averaged over records, as the
shared corpora report it.

Usage::

    python scripts/gold_agreement.py gold_a.jsonl gold_b.jsonl               # the agreement table
    python scripts/gold_agreement.py gold_a.jsonl gold_b.jsonl --differences # + each differing record
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pdacmine.errors import InputError
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
from pdacmine.miner.document_sets import MEASURES
from pdacmine.miner.nlp.vocab import default_vocabulary


def agreement(a: list[goldstd.GoldRecord], b: list[goldstd.GoldRecord]) -> tuple[ev.Scores, list[str]]:
    """Scores of ``a`` against ``b`` on the records both annotated, and the labels found in one file only."""
    by_id = {goldstd.identity(g.pmid, g.doi, g.title_prefix): g for g in b}
    pairs = []
    unmatched = []
    for g in a:
        other = by_id.pop(goldstd.identity(g.pmid, g.doi, g.title_prefix), None)
        if other is None:
            unmatched.append(g.label)
        else:
            pairs.append((other, g.sets))
    unmatched += [g.label for g in by_id.values()]
    return ev.score(pairs), unmatched


def table(scores: ev.Scores) -> str:
    lines = [f"{'measure':<18} {'A':>5} {'B':>5} {'both':>5} {'F1':>6}"]
    for m in MEASURES:
        c = scores.counts[m]
        f1 = "-" if c.f1 is None else f"{c.f1:.3f}"
        lines.append(f"{m:<18} {c.tp + c.fp:>5} {c.support:>5} {c.tp:>5} {f1:>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="annotator A's gold JSONL")
    parser.add_argument("b", type=Path, help="annotator B's gold JSONL")
    parser.add_argument("--differences", action="store_true", help="list each record where A and B differ")
    args = parser.parse_args(argv)
    vocab = default_vocabulary()
    try:
        a, b = goldstd.read_gold(args.a, vocab), goldstd.read_gold(args.b, vocab)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores, unmatched = agreement(a, b)
    differing = [r for r in scores.records if not r.clean]
    print(f"{len(scores.records)} records annotated by both; {len(differing)} differ")
    print(table(scores))
    if unmatched:
        print(f"annotated by one only: {', '.join(unmatched)}")
    if args.differences:
        for r in differing:
            only_a = "; ".join(f"{m}: {', '.join(v)}" for m, v in r.fp.items())
            only_b = "; ".join(f"{m}: {', '.join(v)}" for m, v in r.fn.items())
            print(f"\n{r.label}\n  A only: {only_a or '-'}\n  B only: {only_b or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
