"""Train the claim classifier on the development records and write ``miner/nlp/data/claim_model.json``.

Candidates come from the rules' pairing on each development record (``eval/split.json``: the
locked fold is never read); labels from the document-level gold. Prints 5-fold cross-validated
candidate-level figures (train on 4 folds, score the 5th, by record), then fits the shipped model
on all development records. Deterministic: the same data and seed give the same file.

Usage::

    python scripts/train_claims.py --gold eval/gold.jsonl --gold ../shared/dev-corpus-2/gold.jsonl \\
        --records ../shared/dev-corpus/records.jsonl --records ../shared/dev-corpus-2/records.jsonl

Records the split marks ``untrained`` (the later set, ``eval/extra``) are never trained on: trained on
them too, the model's cross-validated figures on the shared corpora fell (mechanism categories 0.864 ->
0.796, mechanism–stage 0.816 -> 0.742) and rose little on the later set itself (eval/README.md).

Document-level cross-validated figures: ``pdacmine evaluate ... --split eval/split.json --cross-validate``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from itertools import pairwise
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
    scored: list[tuple[float, bool]] = []
    for model, fold in zip(ct.cross_validated_models(data, folds), folds, strict=True):
        for i in fold:
            for cand, label in zip(data[i].candidates, data[i].labels, strict=True):
                rule = "rule=True" in cand.features
                p = model.probability(cand.features)
                scored.append((p, label))
                accepted = model.accepts(cand.kind, p, rule)
                outcome = ("tp" if accepted else "fn") if label else ("fp" if accepted else "tn")
                counts[cand.kind][outcome] += 1
    lines = [f"{'candidate kind':<16} {'n':>5} {'pos':>5} {'P':>6} {'R':>6}  (5-fold cross-validated)"]
    for kind, c in counts.items():
        n, pos = sum(c.values()), c["tp"] + c["fn"]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / pos if pos else float("nan")
        lines.append(f"{kind:<16} {n:>5} {pos:>5} {precision:>6.3f} {recall:>6.3f}")
    return "\n".join(lines) + "\n\n" + calibration_table(scored)


def calibration_table(scored: list[tuple[float, bool]]) -> str:
    """Out-of-fold candidates binned by probability: how many, and the share that is positive."""
    lines = [f"{'probability':<12} {'n':>5} {'positive':>8}  (calibration, cross-validated)"]
    edges = [0.0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0]
    for lo, hi in pairwise(edges):
        labels = [y for p, y in scored if lo <= p < hi or (hi == 1.0 and p == 1.0)]
        share = f"{sum(labels) / len(labels):.3f}" if labels else "-"
        lines.append(f"{lo:.1f}-{hi:.1f}      {len(labels):>5} {share:>8}")
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
    dev = ev.Matched([p for p, ok in zip(dev.pairs, es.trainable(dev, split), strict=True) if ok], [], 0)
    folds = ct.folds_of(es.fold_of(dev, split), len(split.folds))
    print(f"{len(dev.pairs)} development records in {len(folds)} folds", file=sys.stderr)
    data = ct.labelled(dev.pairs, vocab)
    print(candidate_report(data, folds))
    model = ct.fit(data)
    meta = {**model.meta, "records": len(dev.pairs), "split_seed": split.seed}
    final = claim_model.ClaimModel(model.weights, model.bias, model.threshold, meta=meta)
    args.out.write_text(final.to_json(), encoding="utf-8")
    print(f"{args.out}: {meta['features']} features from {meta['candidates']} candidates", file=sys.stderr)
    chosen = ", ".join(f"{k} {meta[k]}" for k in ("l2", "min_count", "lexical", "calibration", "inner_log_loss"))
    print(f"chosen by inner cross-validation: {chosen}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
