"""Regenerate ``eval/split.json``: the locked test fold and the 5 development folds (issue #8).

The locked fold is 55 records (a quarter of the 220 real annotated abstracts) drawn by a fixed
seed from ``dev-corpus-2`` only, whose records were never used to tune the rules; the draw is
stratified by the kind of gold answer (negative: nothing at all; biology: a mechanism category;
clinical: the rest). The other 68 records of ``dev-corpus-2`` and the 97 of ``dev-corpus`` are
the development records, dealt into k=5 folds (stratified the same way) for cross-validation.

Records annotated later (``eval/extra/gold.jsonl``: abstracts collected after the split was drawn,
two independent annotators, adjudicated) are development records only: they are dealt into the same
folds after the others, so the locked fold and the earlier folds stay exactly as first drawn. They are
listed as ``untrained``: scored in cross-validation, never used to train the claim model.

Records are named as gold matching names them (pmid, doi, title_prefix), never by their text.
Records listed in ``dev-corpus-2/reserved.tsv`` are refused.

Usage::

    python scripts/make_split.py --shared ../shared            # writes eval/split.json
    python scripts/make_split.py --shared ../shared --check    # exit 1 when the file differs
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path
from typing import Any

SEED = 20261207
LOCKED_SIZE = 55
FOLDS = 5
OUT = Path(__file__).resolve().parent.parent / "eval" / "split.json"
CORPORA = (("dev-corpus", "eval/gold.jsonl"), ("dev-corpus-2", "dev-corpus-2/gold.jsonl"))
LATER = ("extra", "eval/extra/gold.jsonl")


def stratum(gold: dict[str, Any]) -> str:
    if not any(gold.get(f) for f in ("organs", "stages", "mechanisms", "therapies")):
        return "negative"
    return "biology" if gold.get("mechanisms") else "clinical"


def ident(gold: dict[str, Any], corpus: str) -> dict[str, str]:
    return {"corpus": corpus, **{k: str(gold.get(k) or "") for k in ("pmid", "doi", "title_prefix")}}


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def reserved(shared: Path) -> tuple[set[str], set[str], set[str]]:
    with (shared / "dev-corpus-2" / "reserved.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return (
        {r["pmid"] for r in rows if r["pmid"]},
        {r["doi"].lower() for r in rows if r["doi"]},
        {_norm(r["title"]) for r in rows if r["title"]},
    )


def read_gold(path: Path, corpus: str, refused: tuple[set[str], set[str], set[str]]) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        g = json.loads(line)
        pmids, dois, titles = refused
        title = _norm(g.get("title_prefix") or "")
        by_title = bool(title) and any(t.startswith(title) for t in titles)
        if g.get("pmid") in pmids or (g.get("doi") or "").lower() in dois or by_title:
            sys.exit(f"{path}: {g.get('pmid') or g.get('doi') or title} is a reserved record")
        out.append({"id": ident(g, corpus), "stratum": stratum(g)})
    return out


def proportional_draw(items: list[dict[str, Any]], size: int, rng: random.Random) -> list[dict[str, Any]]:
    """``size`` items, each stratum represented in proportion (largest remainder)."""
    strata: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        strata.setdefault(item["stratum"], []).append(item)
    quotas = {s: size * len(v) / len(items) for s, v in sorted(strata.items())}
    take = {s: int(q) for s, q in quotas.items()}
    for s in sorted(quotas, key=lambda s: (take[s] - quotas[s], s))[: size - sum(take.values())]:
        take[s] += 1
    chosen = []
    for s in sorted(strata):
        chosen += rng.sample(strata[s], take[s])
    return chosen


def deal_folds(items: list[dict[str, Any]], k: int, rng: random.Random) -> list[list[dict[str, Any]]]:
    folds: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    position = 0
    for s in sorted({i["stratum"] for i in items}):
        group = [i for i in items if i["stratum"] == s]
        rng.shuffle(group)
        for item in group:
            folds[position % k].append(item)
            position += 1
    return folds


def rotate(extra: list[list[dict[str, Any]]], folds: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """``extra`` reordered so that its largest part goes to the smallest fold (sizes stay balanced)."""
    by_size = sorted(range(len(folds)), key=lambda i: (len(folds[i]), i))
    parts = sorted(extra, key=len, reverse=True)
    out: list[list[dict[str, Any]]] = [[] for _ in folds]
    for i, part in zip(by_size, parts, strict=True):
        out[i] = part
    return out


def build(shared: Path, repo: Path, seed: int) -> dict[str, Any]:
    refused = reserved(shared)
    first = read_gold(repo / CORPORA[0][1], CORPORA[0][0], refused)
    second = read_gold(shared / CORPORA[1][1], CORPORA[1][0], refused)
    rng = random.Random(seed)
    locked = proportional_draw(second, LOCKED_SIZE, rng)
    taken = {json.dumps(i["id"], sort_keys=True) for i in locked}
    development = first + [i for i in second if json.dumps(i["id"], sort_keys=True) not in taken]
    folds = deal_folds(development, FOLDS, rng)
    later: list[dict[str, Any]] = []
    if (repo / LATER[1]).exists():
        later = read_gold(repo / LATER[1], LATER[0], refused)
        for fold, extra in zip(folds, rotate(deal_folds(later, FOLDS, rng), folds), strict=True):
            fold += extra
    out: dict[str, Any] = {
        "about": "issue #8 split; regenerate with scripts/make_split.py (never read the locked records)",
        "seed": seed,
        "locked": [i["id"] for i in locked],
        "folds": [[i["id"] for i in fold] for fold in folds],
    }
    if later:
        out["untrained"] = [i["id"] for i in later]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, required=True, help="the shared directory holding dev-corpus-2/")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    text = json.dumps(build(args.shared, repo, args.seed), indent=1) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("split is up to date" if same else f"{args.out} differs from the seed's split", file=sys.stderr)
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    split = json.loads(text)
    sizes = ", ".join(str(len(f)) for f in split["folds"])
    print(f"{args.out}: locked {len(split['locked'])}, development folds {sizes}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
