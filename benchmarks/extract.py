"""Throughput of ``annotate`` next to a tokenizer-only pass over the same texts, in the same run.

Prints abstracts/s for

1. the tokenizer-only pass: scispaCy tokenizer + sentence splitting (``tokenizer_pipeline()``);
2. ``annotate_records`` on one process (the full pipeline plus each record's JSON-ready ``to_json()``);
3. ``annotate_records`` with ``--workers`` processes, its wall speed-up over one process and
   the workers' CPU-time rate (their parallel efficiency, which other jobs on the machine do not
   distort);

plus the pipeline build time and the peak RSS with the full vocabulary loaded. Single-process
rates are given in CPU time (robust when other jobs share the machine) and wall time.

Targets (issue #8, measured on real abstracts with ``--records``): >= 400 abstracts/s on one core
(CPU time) and >= 1/3 of the tokenizer-only rate in the same run; near 2x with two workers and peak
RSS < 1.5 GB (issue #3).

Usage::

    python benchmarks/extract.py                      # 2,000 synthetic abstracts
    python benchmarks/extract.py --n 5000 --workers 2
    python benchmarks/extract.py --records records.jsonl --repeat 20
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pdacmine.miner.annotate import annotate_records, record_text
from pdacmine.miner.gold_standard import read_jsonl
from pdacmine.miner.nlp.pipeline import get_pipeline, tokenizer_pipeline
from pdacmine.miner.nlp.vocab import default_vocabulary

#: Sentences that name vocabulary terms (claims, regimens, negation, hedging, abbreviations).
CLAIMS = (
    "Here we show that {gene} promotes {stage} of PDAC cells in KPC mice and in orthotopic xenografts.",
    "Knockdown of {gene} reduced {organ} metastasis, e.g. in 7 of 9 animals (Fig. 2).",
    "High {gene} expression in resected specimens correlated with {stage} (HR 1.8, 95% CI 1.2-2.6).",
    "Cancer-associated fibroblasts (CAFs) secreted {gene2}, and CAFs were required for {stage} in vitro.",
    "Patients with {organ} metastases received {drug} plus {drug2}; no {organ2} metastases were seen.",
    "These data suggest that {gene} may be a target to prevent {organ} metastasis.",
    "Mechanistically, {gene} induced epithelial-mesenchymal transition (EMT) via {gene2} signalling.",
    "Recurrence after resection occurred in the {organ} in 42% of patients, vs. 18% in the {organ2}.",
)
#: Sentences with no vocabulary term, as most sentences of an abstract are (methods, statistics).
PLAIN = (
    "A total of {n} patients were enrolled between 2009 and 2019 at {k} institutions.",
    "Median overall survival was {k}.{k} months (95% CI {k}.1-{n}.4) in the whole cohort.",
    "Multivariable Cox regression was adjusted for age, sex, performance status and tumour size.",
    "Cells were cultured in DMEM with 10% fetal bovine serum and analysed by flow cytometry.",
    "RNA sequencing was performed on {n} samples, and reads were aligned to the reference genome.",
    "Statistical significance was set at p < 0.05, and all tests were two-sided.",
    "The study was approved by the institutional review board (approval no. {n}).",
    "Tumour volume was measured twice weekly with calipers for {k} weeks, i.e. until the end point.",
    "Differences between groups were assessed with the Mann-Whitney U test or Fisher's exact test.",
    "Imaging was reviewed by two radiologists blinded to the clinical data, as described by Smith et al.",
)


def vocabulary_terms() -> dict[str, list[str]]:
    """Surface forms per slot, drawn from the loaded vocabulary."""
    vocab = default_vocabulary()
    genes = [c.symbols[0] for c in vocab.by_facet("MECHANISM") if c.symbols][:3000] or ["ZEB1"]
    drugs = [c.name for c in vocab.by_facet("THERAPY") if c.category == "chemotherapy" and not c.components] or [
        "gemcitabine"
    ]
    organs = [c.name for c in vocab.by_facet("ORGAN")] or ["liver"]
    stages = [s for c in vocab.by_facet("STAGE") for s in c.synonyms[:3]] or ["colonization"]
    return {"gene": genes, "drug": drugs, "organ": organs, "stage": stages}


def synthetic_records(n: int, seed: int = 13) -> list[dict[str, Any]]:
    """``n`` invented abstracts of 12 sentences (~250 tokens): 4 naming vocabulary terms, 8 plain ones.

    The density (about 15 mentions and a few tuples per abstract) is that of real PDAC abstracts;
    the benchmark prints it.
    """
    rng = random.Random(seed)
    terms = vocabulary_terms()
    records = []
    for i in range(n):
        fill = {
            slot: rng.choice(terms[slot.rstrip("2")])
            for slot in ("gene", "gene2", "drug", "drug2", "organ", "organ2", "stage")
        }
        fill.update(n=str(rng.randint(20, 900)), k=str(rng.randint(2, 19)))
        sentences = [s.format(**fill) for s in rng.sample(CLAIMS, k=4) + rng.sample(PLAIN, k=8)]
        rng.shuffle(sentences)
        abstract = "BACKGROUND: " + " ".join(sentences[:3]) + "\nMETHODS: " + " ".join(sentences[3:7])
        abstract += "\nRESULTS: " + " ".join(sentences[7:11]) + "\nCONCLUSIONS: " + sentences[11]
        title = f"{fill['gene']} and {fill['organ']} metastasis of pancreatic cancer"
        records.append({"pmid": str(900000 + i), "title": title, "abstract": abstract})
    return records


def read_records(path: Path, repeat: int) -> list[dict[str, Any]]:
    records = [obj for _, obj in read_jsonl(path)]
    return [dict(r, pmid=f"{r.get('pmid') or i}-{k}") for k in range(repeat) for i, r in enumerate(records)]


def timed(run: Callable[[], Any]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of ``run()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest finished child, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, help="JSONL records (pmid, title, abstract) instead of synthetic ones")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the records file this many times")
    parser.add_argument("--n", type=int, default=2000, help="synthetic abstracts (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel run (default 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    get_pipeline()
    build = time.perf_counter() - started
    tokenizer = tokenizer_pipeline()
    records = read_records(args.records, args.repeat) if args.records else synthetic_records(args.n)
    texts = [record_text(r) for r in records]
    n = len(texts)
    n_tokens = sum(len(d) for d in tokenizer.pipe(texts[:200]))  # warm-up, and tokens per abstract
    sample = list(annotate_records(records[:200], batch_size=args.batch_size))  # warm-up: lexemes, caches
    n_entities = sum(len(r.entities) for r in sample) / len(sample)
    n_tuples = sum(len(r.tuples) for r in sample) / len(sample)

    tok_cpu, tok_wall = timed(lambda: sum(1 for _ in tokenizer.pipe(texts, batch_size=args.batch_size)))
    one_cpu, one_wall = timed(
        lambda: sum(1 for r in annotate_records(records, batch_size=args.batch_size) if r.to_json())
    )
    children_before = _children_cpu()
    _, par_wall = timed(
        lambda: sum(
            1 for r in annotate_records(records, batch_size=args.batch_size, workers=args.workers) if r.to_json()
        )
    )
    children_cpu = _children_cpu() - children_before
    own_rss, child_rss = peak_rss_mb()

    def rate(seconds: float) -> float:
        return n / seconds if seconds else float("inf")

    source = f"{args.records} x{args.repeat}" if args.records else "synthetic"
    print(f"{n:,} abstracts ({source}), ~{n_tokens / min(n, 200):.0f} tokens each, batch size {args.batch_size}")
    print(f"per abstract: {n_entities:.1f} entities, {n_tuples:.1f} tuples (first 200)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}")
    print(f"pipeline build (full vocabulary, {len(default_vocabulary().concepts):,} concepts): {build:.1f} s")
    print()
    print(f"{'pass':38s} {'CPU abstracts/s':>16s} {'wall abstracts/s':>17s}")
    print(f"{'tokenizer + sentences only':38s} {rate(tok_cpu):16.0f} {rate(tok_wall):17.0f}")
    print(f"{'annotate, 1 process':38s} {rate(one_cpu):16.0f} {rate(one_wall):17.0f}")
    print(f"{f'annotate, {args.workers} workers':38s} {rate(children_cpu):16.0f} {rate(par_wall):17.0f}")
    print()
    ratio = tok_cpu / one_cpu if one_cpu else 0.0
    speedup = one_wall / par_wall if par_wall else 0.0
    checks = [
        (f"annotate {rate(one_cpu):.0f} abstracts/s on one core (CPU time)", rate(one_cpu) >= 400),
        (f"annotate at {ratio:.2f} of the tokenizer-only rate (CPU time)", ratio >= 1 / 3),
        (f"{args.workers} workers: {speedup:.2f}x the 1-process wall rate", speedup >= 0.8 * args.workers),
        (f"peak RSS {own_rss:.0f} MB (main), {child_rss:.0f} MB (largest worker)", max(own_rss, child_rss) < 1536),
    ]
    for text, ok in checks:
        print(f"  [{'ok' if ok else 'below target'}] {text}")
    efficiency = rate(children_cpu) / rate(one_cpu) if children_cpu and one_cpu else 0.0
    print(f"  workers' CPU efficiency: {efficiency:.2f} of the 1-process CPU rate per core", end="")
    busy = os.getloadavg()[0] >= (os.cpu_count() or 1)
    print(" (other jobs hold the cores: the wall speed-up is bounded by them)" if busy else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
