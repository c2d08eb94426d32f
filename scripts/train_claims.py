"""Train the claim classifier on the development records and write ``miner/nlp/data/claim_model.json``.

Candidates come from the rules' pairing on each development record (``eval/split.json``: the
locked fold is never read); labels from the document-level gold. Prints 5-fold cross-validated
candidate-level figures (train on 4 folds, score the 5th, by record), then fits the shipped model
on all development records. Deterministic: the same data and seed give the same file.

Usage::

    python scripts/train_claims.py --gold eval/gold.jsonl --gold ../shared/dev-corpus-2/gold.jsonl \\
        --records ../shared/dev-corpus/records.jsonl --records ../shared/dev-corpus-2/records.jsonl

Document-level cross-validated figures: ``pdacmine evaluate ... --split eval/split.json --cross-validate``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from pdacmine.miner import claim_training as ct
from pdacmine.miner import evalsplit as es
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
from pdacmine.miner.nlp import claim_model
from pdacmine.miner.nlp.vocab import default_vocabulary

REPO = Path(__file__).resolve().parent.parent


def candidate_report(data: list[ct.Labelled], folds: list[list[int]]) -> str:
    """Precision/recall of accepted candidates per kind, each fold scored by the model of the others."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in claim_model.KINDS}
    for model, fold in zip(ct.cross_validated_models(data, folds), folds, strict=True):
        for i in fold:
            for cand, label in zip(data[i].candidates, data[i].labels, strict=True):
                rule = "rule=True" in cand.features
                accepted = model.accepts(cand.kind, model.probability(cand.features), rule)
                outcome = ("tp" if accepted else "fn") if label else ("fp" if accepted else "tn")
                counts[cand.kind][outcome] += 1
    lines = [f"{'candidate kind':<16} {'n':>5} {'pos':>5} {'P':>6} {'R':>6}  (5-fold cross-validated)"]
    for kind, c in counts.items():
        n, pos = sum(c.values()), c["tp"] + c["fn"]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / pos if pos else float("nan")
        lines.append(f"{kind:<16} {n:>5} {pos:>5} {precision:>6.3f} {recall:>6.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, action="append", required=True)
    parser.add_argument("--records", type=Path, action="append", required=True)
    parser.add_argument("--split", type=Path, default=REPO / "eval" / "split.json")
    parser.add_argument("--out", type=Path, default=claim_model.MODEL_FILE)
    args = parser.parse_args(argv)
    vocab = default_vocabulary()
    matched = ev.match_records(
        goldstd.read_gold_files(args.gold, vocab), goldstd.read_jsonl_files(args.records), "records"
    )
    split = es.read_split(args.split)
    dev = es.partition(matched, split)[es.DEVELOPMENT]
    folds = ct.folds_of(es.fold_of(dev, split), len(split.folds))
    print(f"{len(dev.pairs)} development records in {len(folds)} folds", file=sys.stderr)
    data = ct.labelled(dev.pairs, vocab)
    print(candidate_report(data, folds))
    model = ct.fit(data)
    meta = {**model.meta, "records": len(dev.pairs), "split_seed": split.seed}
    final = claim_model.ClaimModel(model.weights, model.bias, model.threshold, meta=meta)
    args.out.write_text(final.to_json(), encoding="utf-8")
    print(f"{args.out}: {meta['features']} features from {meta['candidates']} candidates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
