"""Query latency, ranking and export speed on a synthetic database; prints figures, asserts nothing.

Builds an SQLite database of 100,000 articles and 1,000,000 evidence rows (plain ``sqlite3``
executemany into the migrated schema: realistic skew over 16 organs, 9 stages, ~400
mechanism concepts in 22 categories and ~40 therapies; 1% of the evidence reviewed, a
fifth of that corrected), then measures:

  (a) ``refresh_findings`` full (1M evidence) and incremental (100 articles)
  (b) latency p50/p95 of typical ``pdacmine query`` selections (library calls, 30 runs each),
      with the unfiltered top-50 as the baseline ratio
  (c) ``pdacmine export evidence --format csv`` of every row, in a subprocess: seconds and
      peak RSS, against a bare ``sqlite3`` -> ``csv`` dump of the same table as the baseline

Targets (issue #4): filtered finding queries p50 < 100 ms and p95 < 300 ms; export of
1M evidence rows < 60 s with peak RSS < 300 MB.

Usage:
  python benchmarks/query.py                       # build in a temp dir, measure, delete
  python benchmarks/query.py --db /tmp/bench.db    # keep (and reuse) the database
  python benchmarks/query.py --articles 10000      # a smaller run
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import peak_rss_mb, run_child

ORGANS = [("liver", 40), ("lung", 12), ("peritoneum", 12), ("lymph-node", 14), ("bone", 3), ("brain", 2),
          ("pleura", 1), ("adrenal-gland", 1), ("skin", 1), ("spleen", 1), ("kidney", 1), ("ovary", 1),
          ("stomach", 1), ("intestine", 1), ("heart", 1), ("bone-marrow", 1), (None, 20)]  # fmt: skip
ORGAN_MESH = {"liver": "D008113", "lung": "D008175", "peritoneum": "D010534", "lymph-node": "D008207",
              "bone": "D001859", "brain": "D001932"}  # fmt: skip
STAGES = [(s, w) for s, w in zip(
    ["primary-tumor", "local-invasion", "intravasation", "circulation", "extravasation", "pre-metastatic-niche",
     "colonization", "dormancy", "recurrence", None], [4, 8, 3, 4, 2, 3, 8, 2, 6, 50], strict=True)]  # fmt: skip
STUDY = [("clinical", 30), ("human-tissue", 20), ("animal", 20), ("in-vitro", 20), ("review", 5), ("other", 5)]
WORDS = [
    "pancreatic", "tumour", "cells", "metastasis", "liver", "lung", "invasion", "migration", "stroma", "macrophages",
    "exosomes", "expression", "increased", "decreased", "associated", "patients", "mice", "model", "signalling",
    "survival", "niche",
]  # fmt: skip


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _concepts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """400 mechanisms spread over the taxonomy's categories, 40 drugs over its therapy classes (none "other")."""
    from pdacmine.miner.document_sets import MECHANISM_CATEGORIES, THERAPY_CLASSES

    classes = [c for c in THERAPY_CLASSES if c != "other"]
    mechs = [(f"mech-{i}", MECHANISM_CATEGORIES[i % len(MECHANISM_CATEGORIES)]) for i in range(400)]
    drugs = [(f"drug-{i}", classes[i % len(classes)]) for i in range(40)]
    return mechs, drugs


def _articles(rng: random.Random, n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        year = rng.randint(1995, 2025)
        organ = rng.choice(list(ORGAN_MESH))
        mesh = [{"ui": "D010190", "name": "Pancreatic Neoplasms", "major": True,
                 "qualifiers": [{"ui": "Q000473", "name": "pathology", "major": False}]}]  # fmt: skip
        if rng.random() < 0.3:
            mesh.append({"ui": ORGAN_MESH[organ], "name": f"{organ} Neoplasms", "major": False,
                         "qualifiers": [{"ui": "Q000556", "name": "secondary", "major": True}]})  # fmt: skip
        authors = [{"last": f"Name{rng.randrange(9999)}", "fore": "Ann"} for _ in range(rng.randint(1, 6))]
        abstract = " ".join(rng.choice(WORDS) for _ in range(200))
        yield (str(10_000_000 + i), 1, f"Study {i} of {organ} metastasis in pancreatic cancer", abstract, "[]",
               "Journal of Synthetic Oncology", "J Synth Oncol", "1234-5678", str(rng.randint(1, 60)),
               str(rng.randint(1, 12)),
               f"{rng.randint(1, 900)}-{rng.randint(1, 99)}", year, f"{year}-{rng.randint(1, 12):02d}-01",
               f"10.1000/synth.{i}", "eng", "[]", "[]", json.dumps(mesh), "[]", json.dumps(authors),
               rng.random() < 0.001, False, "eutils", "2025-01-01 00:00:00", "2025-01-01 00:00:00")  # fmt: skip


ARTICLE_COLS = ("pmid, version, title, abstract, abstract_sections, journal, journal_iso, issn, volume, issue, pages, "
                "pub_year, pub_date, doi, language, publication_types, keywords, mesh, chemicals, authors, retracted, "
                "deleted, source, first_seen, last_updated")  # fmt: skip
EVIDENCE_COLS = ("evidence_key, article_id, pmid, sentence, start, \"end\", section, mechanism_key, "
                 "mechanism_category, stage, organ, therapy_key, therapy_class, polarity, negated, hedged, "
                 "study_type, confidence, spans, extractor_version, created_at")  # fmt: skip


def _evidence(rng: random.Random, n_articles: int, per_article: int) -> Iterator[tuple[Any, ...]]:
    import hashlib

    mechs, drugs = _concepts()
    mech_weights = [1 / (i + 1) ** 0.8 for i in range(len(mechs))]
    for art in range(1, n_articles + 1):
        pmid = str(10_000_000 + art - 1)
        for k in range(per_article):
            mech, cat = rng.choices(mechs, weights=mech_weights)[0] if rng.random() < 0.9 else (None, None)
            drug, cls = rng.choice(drugs) if rng.random() < 0.3 else (None, None)
            organ, stage = _weighted(rng, ORGANS), _weighted(rng, STAGES)
            words = [rng.choice(WORDS) for _ in range(22)]
            sentence = f"{(mech or 'therapy').upper()} promotes {organ or 'distant'} metastasis: " + " ".join(words)
            spans = [{"start": 0, "end": len(mech or "therapy"), "label": "MECHANISM", "key": mech}]
            key = hashlib.sha1(f"{pmid}|{k}|{mech}|{stage}|{organ}|{drug}".encode()).hexdigest()
            yield (key, art, pmid, sentence, 100 * k, 100 * k + len(sentence), "RESULTS", mech, cat, stage, organ,
                   drug, cls, _weighted(rng, [("promotes", 70), ("suppresses", 10), ("associated", 20)]),
                   rng.random() < 0.05, rng.random() < 0.2, _weighted(rng, STUDY), round(rng.random(), 2),
                   json.dumps(spans), "bench", "2025-01-01 00:00:00")  # fmt: skip


def _chunks(it: Iterator[tuple[Any, ...]], size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    buf: list[tuple[Any, ...]] = []
    for row in it:
        buf.append(row)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def build(path: Path, n_articles: int, per_article: int, seed: int = 4) -> float:
    """Create the schema with pdacmine's migrations, then bulk-load with plain sqlite3; returns seconds."""
    from pdacmine.db import open_database

    open_database(f"sqlite:///{path}").dispose()
    rng = random.Random(seed)
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    marks = ", ".join("?" * len(ARTICLE_COLS.split(",")))
    for chunk in _chunks(_articles(rng, n_articles)):
        con.executemany(f"INSERT INTO articles ({ARTICLE_COLS}) VALUES ({marks})", chunk)
    con.executemany(
        "INSERT INTO article_extractions (article_id, extractor_version, extracted_at, n_entities, n_evidence, "
        "entities) VALUES (?, 'bench', '2025-01-01 00:00:00', 0, ?, '{}')",
        ((i, per_article) for i in range(1, n_articles + 1)),
    )
    marks = ", ".join("?" * len(EVIDENCE_COLS.split(",")))
    for chunk in _chunks(_evidence(rng, n_articles, per_article)):
        con.executemany(f"INSERT INTO evidence ({EVIDENCE_COLS}) VALUES ({marks})", chunk)
    keys = con.execute("SELECT evidence_key, pmid FROM evidence WHERE id % 100 = 7").fetchall()
    con.executemany(
        "INSERT INTO review_decisions (evidence_key, pmid, status, corrections, reviewer, decided_at, revision) "
        "VALUES (?, ?, ?, ?, 'bench', '2025-01-01 00:00:00', 1)",
        ((k, p, "rejected" if i % 3 == 0 else "accepted", json.dumps({"organ": "lung"} if i % 5 == 0 else {}))
         for i, (k, p) in enumerate(keys)),
    )  # fmt: skip
    con.execute(
        "INSERT INTO saved_queries (name, term, builtin, overlap_days, created_at) "
        "VALUES ('default', 'pancreatic[tiab]', 1, 7, '2025-01-01')"
    )
    con.execute(
        "INSERT INTO search_runs (query_id, query_name, database, platform, query_sent, datetype, run_kind, status, "
        "started_at, hits, fetched, new, updated, unchanged, deleted, failed, tool_version) VALUES (1, 'default', "
        "'PubMed', 'NCBI E-utilities', 'pancreatic[tiab]', 'crdt', 'initial', 'ok', '2025-01-01', ?, ?, ?, 0, 0, 0, 0, "
        "'bench')",
        (n_articles, n_articles, n_articles),
    )
    hits = ((str(10_000_000 + i),) for i in range(n_articles))
    con.executemany("INSERT INTO search_hits (run_id, pmid) VALUES (1, ?)", hits)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - t0


def child_refresh(db: str, mode: str) -> dict[str, Any]:
    """One refresh (full, or incremental for 100 articles)."""
    from pdacmine.db import make_engine, session_scope
    from pdacmine.db.findings import refresh_findings

    engine = make_engine(db)
    with session_scope(engine) as session:
        t0 = time.perf_counter()
        n = refresh_findings(session, None if mode == "full" else list(range(1, 101)))
    return {"seconds": time.perf_counter() - t0, "findings": n}


def child_export(db: str, out: str) -> dict[str, Any]:
    """``pdacmine export evidence --format csv`` in this process, as a user runs it."""
    from pdacmine.cli import main as pdacmine_main

    t0 = time.perf_counter()
    try:
        pdacmine_main(["--db", db, "-q", "export", "evidence", "--status", "all", "--format", "csv", "-o", out])
    except SystemExit as exc:
        if exc.code:
            raise
    return {"seconds": time.perf_counter() - t0, "rows": sum(1 for _ in open(out, encoding="utf-8")) - 1}


def child_dump(db: str, out: str) -> dict[str, Any]:
    """Baseline: the evidence table straight from sqlite3 into csv.writer (no joins, no pdacmine)."""
    import csv

    t0 = time.perf_counter()
    con = sqlite3.connect(db.split("sqlite:///", 1)[1])
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        cur = con.execute("SELECT * FROM evidence")
        writer.writerow([d[0] for d in cur.description])
        n = 0
        for row in cur:
            writer.writerow(row)
            n += 1
    return {"seconds": time.perf_counter() - t0, "rows": n}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "refresh": child_refresh, "export": child_export, "dump": child_dump,
}  # fmt: skip


def _child(*args: str) -> dict[str, Any]:
    """Run one measurement in a fresh process, so its peak RSS is its own."""
    return run_child(__file__, *args)


def _percentiles(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm the page cache once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure_refresh(db: str) -> None:
    print("(a) ranking: refresh_findings")
    for label, mode in (("full, first run", "full"), ("full, nothing changed", "full"),
                        ("incremental, 100 articles", "incremental")):  # fmt: skip
        r = _child("refresh", db, mode)
        written = f"{r['findings']:>9,} findings written"
        print(f"  {label:<28}{r['seconds']:8.1f} s  {written}  peak RSS {r['peak_mb']:5.0f} MB")


QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("top 50, no filter (baseline)", "findings", {}),
    ("organ", "findings", {"organ": ["lung"]}),
    ("organ + stage", "findings", {"organ": ["liver"], "stage": ["colonization"]}),
    ("mechanism category", "findings", {"mechanism": ["hypoxia"]}),
    ("therapy class", "findings", {"therapy": ["immunotherapy"]}),
    ("organ + therapy class", "findings", {"organ": ["peritoneum"], "therapy": ["chemotherapy"]}),
    ("min-papers 20", "findings", {"min_papers": 20}),
    ("status accepted", "findings", {"status": "accepted"}),
    ("since 2020 (evidence-level)", "findings", {"since": "2020"}),
    ("since 2020, with top PMIDs (json)", "json", {"since": "2020"}),
    ("organ + study type clinical", "findings", {"organ": ["bone"], "study_type": ["clinical"]}),
    ("text search, 2 words", "findings", {"text": "exosomes niche"}),
    ("evidence: organ", "evidence", {"organ": ["liver"]}),
    ("evidence: organ + since", "evidence", {"organ": ["brain"], "since": "2020"}),
    ("evidence: text search", "evidence", {"text": "exosomes niche"}),
]


def measure_queries(db: str, runs: int) -> None:
    """What ``pdacmine query`` does for a table: 51 rows (to know if there are more) + the findings count."""
    from sqlalchemy.orm import Session

    from pdacmine.db import make_engine
    from pdacmine.db import query as q
    from pdacmine.db.filters import resolve_filters

    engine = make_engine(db)
    print(f"(b) query latency, {runs} runs each (p50 / p95 in ms; ratio = p50 / baseline p50)")
    base = None
    with engine.connect() as conn:
        for label, level, opts in QUERIES:
            with Session(engine) as session:
                f = resolve_filters(session, **opts)

            def run(f: Any = f, level: str = level) -> None:
                if level == "evidence":
                    list(q.evidence_rows(conn, f, limit=51, linked_only=True))
                else:  # the table shows no top PMIDs; --format json does
                    list(q.finding_rows(conn, f, limit=51, top_pmids=level == "json"))
                    if not f.has_evidence_terms:
                        q.count_findings(conn, f)

            p50, p95 = _percentiles(run, runs)
            base = base or p50
            print(f"  {label:<32}{p50:8.1f} {p95:8.1f}   x{p50 / base:5.1f}")


def measure_export(db: str, tmp: Path) -> None:
    print("(c) export of every evidence row as CSV (one process each)")
    dump = _child("dump", db, str(tmp / "dump.csv"))
    exp = _child("export", db, str(tmp / "export.csv"))
    for label, r in (("sqlite3 -> csv (baseline)", dump), ("pdacmine export evidence", exp)):
        rate = r["rows"] / r["seconds"]
        print(f"  {label:<28}{r['rows']:>10,} rows {r['seconds']:7.1f} s {rate:>9,.0f} rows/s  "
              f"peak RSS {r['peak_mb']:5.0f} MB  x{r['seconds'] / dump['seconds']:4.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--per-article", type=int, default=10, help="evidence rows per article (default 10)")
    parser.add_argument("--db", type=Path, help="SQLite file to build (reused if it exists)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip", action="append", default=[], choices=["refresh", "queries", "export"])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child[0]](*args.child[1:])
        print(json.dumps({**result, "peak_mb": peak_rss_mb()}))
        return
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if not path.exists():
            rows = args.articles * (1 + args.per_article)
            seconds = build(path, args.articles, args.per_article)
            print(f"built {args.articles:,} articles + {args.articles * args.per_article:,} evidence rows "
                  f"in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)")  # fmt: skip
        db = f"sqlite:///{path}"
        if "refresh" not in args.skip:
            measure_refresh(db)
        if "queries" not in args.skip:
            measure_queries(db, args.runs)
        if "export" not in args.skip:
            measure_export(db, Path(tmp))
    print("targets: filtered finding queries p50 < 100 ms, p95 < 300 ms; export < 60 s and < 300 MB")


if __name__ == "__main__":
    main()
