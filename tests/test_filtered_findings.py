"""--since/--until and the other article-level filters restrict the evidence that makes a finding's paper
counts and score in ``query`` and ``export findings``."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.db.findings import refresh_findings
from tests.builders import add_article, add_evidence, decide

RunCli = Callable[..., Result]


@pytest.fixture
def years(engine: Engine) -> None:
    """One finding (zeb1 | liver) supported by clinical papers from 2019, 2020 and 2024 and an animal study
    from 2021; another (snail | lung) from 2019."""
    with Session(engine) as s:
        for pmid, year in (("501", 2019), ("502", 2020), ("503", 2024)):
            art = add_article(s, pmid, year=year)
            words = "Granulin and zeb1 drive liver metastasis." if pmid == "503" else None
            ev = add_evidence(s, art, mechanism="zeb1", organ="liver", study_type="clinical", sentence=words)
            if pmid == "502":
                decide(s, ev, "accepted")
        add_evidence(s, add_article(s, "505", year=2021), mechanism="zeb1", organ="liver", study_type="animal")
        add_evidence(s, add_article(s, "504", year=2019), mechanism="snai1", organ="lung")
        refresh_findings(s)
        s.commit()


def _findings(run_cli: RunCli, *args: str) -> dict[str, dict[str, object]]:
    result = run_cli("query", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {r["finding_key"]: r for r in json.loads(result.stdout)}


def test_since_restricts_counts_and_score(run_cli: RunCli, years: None) -> None:
    everything = _findings(run_cli)["zeb1|-|liver|-"]
    recent = _findings(run_cli, "--since", "2024")
    assert set(recent) == {"zeb1|-|liver|-"}
    row = recent["zeb1|-|liver|-"]
    assert (row["n_papers"], row["n_evidence"], row["first_year"], row["last_year"]) == (1, 1, 2024, 2024)
    assert row["top_pmids"] == ["503"] and row["n_accepted"] == 0
    assert everything["n_papers"] == 4 and 0 < float(row["score"]) < float(everything["score"])  # type: ignore[arg-type]


def test_until_and_min_papers_use_the_filtered_counts(run_cli: RunCli, years: None) -> None:
    early = _findings(run_cli, "--until", "2020")
    assert early["zeb1|-|liver|-"]["n_papers"] == 2 and early["zeb1|-|liver|-"]["n_accepted"] == 1
    assert "zeb1|-|liver|-" in _findings(run_cli, "--min-papers", "4")
    assert _findings(run_cli, "--min-papers", "2", "--since", "2024") == {}


def test_a_filter_that_keeps_everything_gives_the_stored_ranking(run_cli: RunCli, years: None) -> None:
    stored = _findings(run_cli)
    recomputed = _findings(run_cli, "--since", "1900")
    assert recomputed == stored


def test_export_findings_uses_the_same_counts(run_cli: RunCli, years: None) -> None:
    result = run_cli("export", "findings", "--format", "jsonl", "--since", "2024")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["finding_key"], r["n_papers"], r["rank"]) for r in rows] == [("zeb1|-|liver|-", 1, 1)]


def test_study_type_restricts_and_text_only_selects(run_cli: RunCli, years: None) -> None:
    clinical = _findings(run_cli, "--study-type", "clinical")
    assert clinical["zeb1|-|liver|-"]["n_papers"] == 3 and "snai1|-|lung|-" not in clinical
    selected = _findings(run_cli, "--since", "2019", "--text", "granulin")
    assert set(selected) == {"zeb1|-|liver|-"} and selected["zeb1|-|liver|-"]["n_papers"] == 4
