"""--since/--until and the other article-level filters restrict the evidence that makes a finding's paper
counts and score in ``query`` and ``export findings``."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.db import filtered_findings as ff
from pdacmine.db.filters import resolve_filters
from pdacmine.db.finding_members import mesh_map
from pdacmine.db.findings import refresh_findings
from pdacmine.miner.rank import load_weights
from pdacmine.models import Article
from tests.builders import add_article, add_evidence, decide, secondary

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


@pytest.fixture
def spread(engine: Engine) -> None:
    """30 findings of 1..30 papers with every factor of the score varied (study type, confidence, hedging,
    negation, polarity, review, year, MeSH, retraction), so that filtered and stored ranks differ."""
    rng = random.Random(11)
    organs = ("liver", "lung", "peritoneum")
    studies = ("clinical", "human-tissue", "animal", "in-vitro", "review", "other")
    liver_secondary = [{"ui": "D008113", "name": "Liver Neoplasms", "qualifiers": [{"ui": "Q000556"}]}]
    with Session(engine) as s:
        pmid = 1000
        for i in range(30):
            for _ in range(i % 10 + 1 + (i % 3) * 4):
                pmid += 1
                art = add_article(
                    s, str(pmid), year=rng.choice((None, 2001, 2015, 2019, 2020, 2022, 2025)),
                    mesh=liver_secondary if rng.random() < 0.3 else (), retracted=rng.random() < 0.05,
                )  # fmt: skip
                for _ in range(rng.randint(1, 2)):
                    ev = add_evidence(
                        s, art, mechanism=f"m{i}", organ=organs[i % 3], study_type=rng.choice(studies),
                        confidence=rng.random(), hedged=rng.random() < 0.3, negated=rng.random() < 0.1,
                        polarity=rng.choice(("promotes", "promotes", "suppresses", "associated")),
                    )  # fmt: skip
                    if rng.random() < 0.1:
                        decide(s, ev, rng.choice(("accepted", "rejected")))
        refresh_findings(s)
        s.commit()


@pytest.mark.parametrize("since", ["2019", "2021"])
def test_a_score_page_scores_few_findings_and_equals_the_full_ranking(
    engine: Engine, spread: None, since: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as s:
        f = resolve_filters(s, since=since)
    with engine.connect() as conn:
        everything = list(ff.filtered_finding_rows(conn, f, sort="papers"))
        full = sorted(everything, key=lambda r: (-r["score"], -r["n_papers"]))
        assert [r["finding_key"] for r in full[:5]] != [r["finding_key"] for r in everything[:5]]
        scored: list[int] = []
        rescored = ff._rescored

        def counting(*args: Any, **kwargs: Any) -> Any:
            for row in rescored(*args, **kwargs):
                scored.append(row[0])
                yield row

        monkeypatch.setattr(ff, "_rescored", counting)
        for offset, limit in ((0, 3), (2, 4), (0, 1), (7, 5)):
            scored.clear()
            page = list(ff.filtered_finding_rows(conn, f, limit=limit, offset=offset))
            expected = [{**r, "rank": offset + n + 1} for n, r in enumerate(full[offset : offset + limit])]
            assert [(r["finding_key"], r["score"], r["rank"]) for r in page] == [
                (r["finding_key"], r["score"], r["rank"]) for r in expected
            ]
            if offset + limit <= 6:  # a first page does not need every finding scored
                assert len(scored) < len(everything)


def test_the_mesh_pre_filters_read_a_capitalised_qualifier_name_on_every_backend(engine: Engine) -> None:
    """A heading whose qualifier carries only its name, capitalised ("Liver Neoplasms/Secondary", as some
    exports write it), corroborates liver: both SQL pre-filters (``LIKE`` is case-sensitive on PostgreSQL)
    keep the article for :func:`mesh_organs`, which reads the name in any case."""
    capital = [secondary("D008113", "Liver Neoplasms", qualifier="Secondary", qualifier_ui=None)]
    with Session(engine) as s:
        art = add_article(s, "601", year=2020, mesh=capital)
        plain = add_article(s, "602", year=2020)
        s.commit()
        ids = (art.id, plain.id)
    w = load_weights()
    with engine.connect() as conn:
        assert mesh_map(conn, ids) == {ids[0]: frozenset({"liver"})}
        assert mesh_map(conn, ids, organs=["liver"]) == {ids[0]: frozenset({"liver"})}
        bound = dict(conn.execute(select(Article.id, ff._paper_bound(w, 2020)).where(Article.id.in_(ids))).all())
    assert bound[ids[0]] == pytest.approx(bound[ids[1]] * (1.0 + w.mesh_corroboration))
