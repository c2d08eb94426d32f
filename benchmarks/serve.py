"""Browser workspace latency per page on the 1M-evidence-row database of ``benchmarks/query.py``.

Builds (or reuses) that database with query.py's builder, ranks it once, starts
``pdacmine serve`` in its own process as a user would, and requests every page over HTTP
(``runs`` times each, after one warm-up request), printing p50 / p95 in milliseconds.
Also prints the time from launching ``pdacmine serve`` to its URL line and to the first page.

The evidence map's aggregates are cached for 30 s per filter set (a review decision clears
the cache), so the map is measured twice: "cold" with a filter set never seen before on
every request, and "warm" (the same filters again). A finding's score explanation is cached
the same way: "finding, cold" opens each of the best findings once; the other finding rows are
warm. The map page holds the heat maps (read from the findings table); its year and study
charts, which read every evidence row, come from ``/api/map-charts``, which the page fetches
once it is shown: both are measured.

Targets (issue #9): p50 < 150 ms for every page, < 300 ms for the evidence map; p95 < 500 ms.

Usage:
  python benchmarks/serve.py                     # build in a temp dir, measure, delete
  python benchmarks/serve.py --db /tmp/bench.db  # keep (and reuse) the database of query.py
  python benchmarks/serve.py --articles 10000    # a smaller run
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from query import build

PAGES: list[tuple[str, str]] = [
    ("findings, no filter", "/findings"),
    ("findings organ=lung", "/findings?organ=lung"),
    ("findings organ+stage", "/findings?organ=liver&stage=colonization"),
    ("findings category+organ", "/findings?mechanism=hypoxia&organ=liver"),
    ("findings since 2020", "/findings?since=2020"),
    ("findings page 20", "/findings?page=20"),
    ("findings text search", "/findings?text=exosomes+niche"),
    ("finding (top one, 13k sentences) warm", "/findings/{top}"),
    ("finding top one, evidence page 50", "/findings/{top}?evidence_page=50&papers_page=20"),
    ("finding (#1000 by score)", "/findings/{typical}"),
    ("review queue", "/review"),
    ("review queue organ=bone", "/review?organ=bone"),
    ("audit", "/audit"),
    ("searches + PRISMA", "/searches"),
    ("exports", "/exports?organ=liver"),
    ("evidence map, warm", "/"),
    ("evidence map organ=lung, warm", "/?organ=lung"),
    ("map year+study charts, warm", "/api/map-charts"),
]


def _percentiles(fn: Callable[[int], object], runs: int) -> tuple[float, float]:
    fn(-1)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _rank(path: Path) -> None:
    """Rank once (again on a database ranked before migration 0010: its finding_years rows are missing)."""
    from pdacmine.db import make_engine, open_database, session_scope

    open_database(f"sqlite:///{path}").dispose()  # migrate, as serve would
    con = sqlite3.connect(path)
    ranked = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    complete = con.execute("SELECT count(*) FROM finding_years_state").fetchone()[0]
    con.close()
    if ranked and complete:
        return
    from pdacmine.db.findings import refresh_findings

    t0 = time.perf_counter()
    with session_scope(make_engine(f"sqlite:///{path}")) as session:
        n = refresh_findings(session)
    print(f"ranked {n:,} findings in {time.perf_counter() - t0:.0f} s")


def _serve(db: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pdacmine", "--db", db, "serve", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("pdacmine workspace at "):
        proc.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return proc, line.split()[3].rstrip("/"), time.perf_counter() - t0


def measure(db: str, runs: int) -> None:
    env = {**os.environ, "PDACMINE_CONFIG": os.devnull}
    launched = time.perf_counter()
    proc, url, to_line = _serve(db, env)
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            first = client.get("/findings")
            to_page = time.perf_counter() - launched
            print(f"startup: URL printed after {to_line:.2f} s; first page (HTTP {first.status_code}) after "
                  f"{to_page:.2f} s")  # fmt: skip
            top = client.get("/findings?per=1").text.split('href="/findings/', 1)[1].split('"', 1)[0]
            typical = client.get("/findings?per=1&page=1000").text.split('href="/findings/', 1)[1].split('"', 1)[0]
            print(f"page latency over HTTP, {runs} runs each (p50 / p95 in ms)")

            organs = ["liver", "lung", "peritoneum", "lymph-node", "bone", "brain", "pleura", "skin"]
            stages = ["colonization", "intravasation", "recurrence", "dormancy", "circulation"]
            for label, path, years in (
                ("evidence map, cold, facet filters", "/", False),
                ("evidence map, cold, date filters", "/", True),
                ("map year+study charts, cold, facets", "/api/map-charts", False),
                ("map year+study charts, cold, dates", "/api/map-charts", True),
            ):

                def cold(i: int, path: str = path, years: bool = years) -> None:
                    n = i + 1  # a filter set never asked for before (the warm-up is -1 + 1 = 0)
                    if years:
                        query = f"since={1996 + n % 29}&until={1996 + n % 29 + n // 29 % 5 + 1}"
                    else:
                        query = f"organ={organs[n % len(organs)]}&stage={stages[n // len(organs) % len(stages)]}"
                    page = client.get(f"{path}?{query}&min_papers={n // 40}")
                    assert page.status_code == 200, page.text[:300]

                p50, p95 = _percentiles(cold, runs)
                print(f"  {label:<34}{p50:8.1f} {p95:8.1f}")
            best = client.get(f"/findings?per={runs + 1}").text.split('href="/findings/')[1:]
            best_ids = list(dict.fromkeys(chunk.split('"', 1)[0] for chunk in best))

            def cold_finding(i: int) -> None:  # each of the best findings once: its explanation not cached yet
                page = client.get(f"/findings/{best_ids[i + 1]}")
                assert page.status_code == 200, page.text[:300]

            p50, p95 = _percentiles(cold_finding, runs)
            print(f"  {'finding, cold (the best, each once)':<34}{p50:8.1f} {p95:8.1f}")
            for label, path in PAGES:

                def get(_: int, path: str = path.format(top=top, typical=typical)) -> None:
                    page = client.get(path)
                    assert page.status_code == 200, (path, page.text[:300])

                p50, p95 = _percentiles(get, runs)
                print(f"  {label:<34}{p50:8.1f} {p95:8.1f}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--per-article", type=int, default=10, help="evidence rows per article (default 10)")
    parser.add_argument("--db", type=Path, help="SQLite file to build (reused if it exists)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if not path.exists():
            seconds = build(path, args.articles, args.per_article)
            print(f"built {args.articles:,} articles + {args.articles * args.per_article:,} evidence rows "
                  f"in {seconds:.0f} s")  # fmt: skip
        _rank(path)
        measure(f"sqlite:///{path}", args.runs)
    print("targets: p50 < 150 ms per page (evidence map < 300 ms), p95 < 500 ms")


if __name__ == "__main__":
    main()
