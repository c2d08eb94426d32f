"""Scores and speed of the naive keyword baseline (the yardstick ``pdacmine evaluate --baseline`` prints).

Runs :mod:`pdacmine.miner.nlp.baseline` (one regex per taxonomy key, pairs by sentence co-occurrence, no
negation) on a records file and prints document-level precision/recall/F1 against a gold file, plus its
throughput. The pipeline must beat these figures on every measure.

Usage::

    python benchmarks/baseline.py --records records.jsonl [--gold eval/gold.jsonl] [--format json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pdacmine.cli.evaluate import baseline_annotator, render_table
from pdacmine.errors import PdacmineError
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
from pdacmine.miner.nlp.vocab import default_vocabulary

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, required=True, help="JSONL with pmid, doi, title, abstract")
    parser.add_argument("--gold", type=Path, default=GOLD, help=f"gold JSONL (default {GOLD})")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    try:
        vocab = default_vocabulary()
        gold = goldstd.read_gold(args.gold, vocab)
        matched = ev.match_records(gold, goldstd.read_jsonl(args.records), str(args.records))
        started = time.perf_counter()
        scores = ev.evaluate(matched, baseline_annotator, vocab)
        seconds = time.perf_counter() - started
    except PdacmineError as exc:
        print(f"baseline: error: {exc}", file=sys.stderr)
        return exc.exit_code
    n = len(matched.pairs)
    if args.format == "json":
        payload = {"records": n, "seconds": round(seconds, 3), "scores": scores.as_dict()}
        print(json.dumps(payload, indent=2))
    else:
        print(f"baseline on {n} records ({len(matched.missing)} gold records missing from {args.records})")
        print(render_table({"baseline": scores}))
        print(f"\nspeed: {n} records in {seconds:.2f} s = {n / seconds if seconds else 0:.0f} records/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
