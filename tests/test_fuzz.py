"""Seeded fuzz tests of the input surfaces a user types or edits: every query / review / export filter
option and the review spreadsheet. Hundreds of cases per backend, a few seconds each run.

Each case asserts: no traceback (the runner does not catch exceptions), an exit code the README
documents for it, and nothing committed before is lost.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pdacmine.miner.review_sheet import SHEET_COLUMNS
from pdacmine.models import Article, Evidence, Finding, ReviewAudit, ReviewDecision
from tests.builders import add_article, add_evidence, add_search, decide

RunCli = Callable[..., Result]
FILTER_CASES = 160
SHEET_CASES = 120

ODD = [
    "", " ", "'", '"', "\\", "%", "_", "%_%", "*", "?", ";", "--", "/*", "*/", "' OR '1'='1",
    "'; DROP TABLE articles; --", "1; DELETE FROM evidence", "\" OR 1=1 --", "liver' UNION SELECT * FROM findings --",
    "$(rm -rf /)", "`id`",
    "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(1)", "\t", "\r\n", "\n", "\x0c", "\x1c", "\x85", "\u2028", "\ufeff",
    "\u200b", "ｌｉｖｅｒ", "Liver", "LIVER", "hepatic", "lung,liver", ",,,", "zeb1", "ZEB1", "emt-plasticity",
    "Abraxane", "chemotherapy", "2020", "2020-02-30", "0000", "9999", "-2020", "1e308", "nan", "inf", "١٢٣",
    "²", str(2**31), str(2**63), str(2**64), "9" * 400, "0x10", "0", "-0", "00012345678", "12345678", "\U0001f600",
    "\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "replace"), "a" * 5000, "𝔩𝔦𝔳𝔢𝔯",
]  # fmt: skip
#: Values the options accept, mixed in so that most commands get past the usage check.
VALID = {
    "--status": ["all", "accepted", "ok", "unreviewed"], "--sort": ["score", "year", "pmid", "id", "papers"],
    "--format": ["csv", "tsv", "json", "jsonl", "table"], "--limit": ["1", "5", "0"], "--offset": ["0", "2"],
    "--min-papers": ["0", "1", "3"], "--run": ["1", "2"],
}  # fmt: skip
#: (command words, option)
FILTERS = [
    (cmd, opt)
    for cmd in (("query",), ("query", "--evidence"), ("export", "findings"), ("export", "evidence"),
                ("export", "articles"), ("review", "status"), ("review", "export", "--csv", "-"))
    for opt in ("--organ", "--stage", "--mechanism", "--therapy", "--pmid", "--since", "--until", "--study-type",
                "--text", "--min-papers", "--status", "--limit", "--offset", "--sort", "--format")
] + [(("review", "log"), opt) for opt in ("--pmid", "--reviewer", "--key", "--limit", "--format")] + [
    (("searches",), opt) for opt in ("--query", "--status", "--limit", "--run", "--format")
] + [(("rank",), "--explain")]  # fmt: skip


@pytest.fixture
def corpus(engine: Engine) -> None:
    with Session(engine) as s:
        for i in range(4):
            art = add_article(s, f"5000{i}", year=2015 + i, title=f"=cmd {i}" if i % 2 else None)
            ev = add_evidence(s, art, organ=("liver", "lung")[i % 2], therapy="nab-paclitaxel" if i == 2 else None)
            if i < 2:
                decide(s, ev, "accepted", note=f"note {i}")
        add_search(s, "pdac", ["50000", "50001"])
        s.commit()
    from pdacmine.db.findings import refresh_findings

    with Session(engine) as s:
        refresh_findings(s)
        s.commit()


def _snapshot(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (Article, Evidence, Finding, ReviewDecision, ReviewAudit)
        )


def test_fuzz_every_filter_option(run_cli: RunCli, engine: Engine, corpus: None) -> None:
    rng = random.Random(12)
    before = _snapshot(engine)
    codes: dict[int, int] = {}
    for case in range(FILTER_CASES):
        args: list[str] = []
        command, _ = rng.choice(FILTERS)
        options = [opt for cmd, opt in FILTERS if cmd == command]
        for option in rng.sample(options, k=min(len(options), rng.randint(1, 3))):
            odd = rng.choice(ODD) if rng.random() < 0.8 else rng.choice(ODD) + rng.choice(ODD)
            args += [option, rng.choice(VALID[option]) if option in VALID and rng.random() < 0.6 else odd]
        result = run_cli(*command, *args)
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        assert result.exit_code in (0, 2, 3), (
            f"case {case}: {command} {args!r}: exit {result.exit_code}: {result.output}"
        )
        if result.exit_code:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert lines and "Traceback" not in result.stderr, f"case {case}: {args!r}"
            if result.exit_code == 3:
                assert len(lines) == 1 and lines[0].startswith("pdacmine: error: "), f"case {case}: {result.stderr}"
    assert _snapshot(engine) == before  # filters never write
    assert min(codes.get(0, 0), codes.get(2, 0), codes.get(3, 0)) >= FILTER_CASES // 10, codes  # each path taken


def _sheet(rng: random.Random, keys: list[str]) -> str:
    columns = list(SHEET_COLUMNS) if rng.random() < 0.8 else rng.sample(SHEET_COLUMNS, k=rng.randint(1, 6))
    if rng.random() < 0.1:
        columns.append(rng.choice(ODD))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=rng.choice([",", ",", ";", "\t"]), lineterminator=rng.choice(["\n", "\r\n"]))
    writer.writerow(columns)
    for _ in range(rng.randint(0, 6)):
        row = {c: "" for c in columns}
        row["evidence_key"] = rng.choice([*keys, *keys, rng.choice(ODD), keys[0].upper(), keys[0][:12]])
        row["decision"] = rng.choice(["accept", "reject", "", "Accept", "A", "no", rng.choice(ODD)])
        row["revision"] = rng.choice(["0", "1", "", "2.0", "-1", str(2**64), rng.choice(ODD)])
        for column in ("note", "corrected_organ", "corrected_stage", "corrected_mechanism", "corrected_therapy",
                       "corrected_polarity", "sentence"):  # fmt: skip
            if rng.random() < 0.3:
                row[column] = rng.choice([*ODD, "lung", "none", "colonization", "promotes"])
        writer.writerow([row[c] for c in columns])
    text = out.getvalue()
    if rng.random() < 0.1:  # a truncated file, or a stray quote
        text = text[: rng.randint(0, len(text))] + rng.choice(["", '"', "\x00"])
    return ("\ufeff" if rng.random() < 0.2 else "") + text


def test_fuzz_review_import_sheets(run_cli: RunCli, engine: Engine, corpus: None, tmp_path: Path) -> None:
    rng = random.Random(7)
    with Session(engine) as s:
        keys = list(s.scalars(select(Evidence.evidence_key).order_by(Evidence.id)))
    path = tmp_path / "sheet.csv"
    codes: dict[int, int] = {}
    for case in range(SHEET_CASES):
        before = _snapshot(engine)
        with Session(engine) as s:
            decided = set(s.scalars(select(ReviewDecision.evidence_key)))
        text = _sheet(rng, keys)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        args = ["review", "import", str(path), *(["--force"] if rng.random() < 0.3 else [])]
        args += ["--dry-run"] if rng.random() < 0.2 else []
        result = run_cli(*args)
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        assert result.exit_code in (0, 3, 7), f"case {case}: exit {result.exit_code}: {result.output}\n{text!r}"
        after = _snapshot(engine)
        assert after[:3] == before[:3] and after[4] >= before[4]  # the audit trail only grows
        with Session(engine) as s:
            assert decided <= set(s.scalars(select(ReviewDecision.evidence_key)))  # no decision lost
        if result.exit_code:
            assert after == before, f"case {case}: a refused import changed something"
            assert result.stderr.splitlines()[-1].startswith("pdacmine: error: "), result.stderr
    assert codes.get(0, 0) >= SHEET_CASES // 10 and codes.get(3, 0) >= SHEET_CASES // 10, codes
