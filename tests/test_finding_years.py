"""Whole-year filters answered from ``finding_years`` give what scoring the evidence gives (db/finding_years)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.orm import Session

from pdacmine.db import filtered_findings as ff
from pdacmine.db import finding_years, overview
from pdacmine.db.filters import Filters, resolve_filters
from pdacmine.db.findings import refresh_findings
from pdacmine.models import Article, Evidence, Finding, FindingYear
from tests.builders import add_article, add_evidence, decide

STUDIES = ("clinical", "human-tissue", "animal", "in-vitro", "review", "other")
FILTERS = (
    {"since": "2019"},
    {"until": "2020"},
    {"since": "2015", "until": "2022"},
    {"since": "2019", "organ": ["liver"]},
    {"since": "2016", "min_papers": 3},
    {"since": "2001", "status": "all"},
    {"until": "2024", "status": "accepted"},
    {"since": "2019", "text": "drives"},
)
SORTS = ("score", "papers", "evidence", "year", "contradicting")


@pytest.fixture
def mixed(engine: Engine) -> None:
    """40 findings over mixed years (and none), polarities, negations, hedging, review decisions (one moving a
    sentence to another finding), retracted and withdrawn papers, MeSH corroboration; some findings tie on
    score, and some are exact pro/sup ties (one promoting and one suppressing paper of the same value)."""
    rng = random.Random(5)
    organs = ("liver", "lung", "peritoneum")
    liver_secondary = [{"ui": "D008113", "name": "Liver Neoplasms", "qualifiers": [{"ui": "Q000556"}]}]
    with Session(engine) as s:
        pmid = 2000
        for i in range(40):
            for _ in range(i % 9 + 1 + (i % 4) * 3):
                pmid += 1
                art = add_article(
                    s, str(pmid), year=rng.choice((None, 2001, 2015, 2019, 2020, 2022, 2025)),
                    mesh=liver_secondary if rng.random() < 0.3 else (), retracted=rng.random() < 0.05,
                    deleted=rng.random() < 0.03,
                )  # fmt: skip
                for _ in range(rng.randint(1, 3)):
                    ev = add_evidence(
                        s, art, mechanism=f"m{i}", organ=organs[i % 3], study_type=rng.choice(STUDIES),
                        confidence=rng.choice((0.5, 0.8, rng.random())), hedged=rng.random() < 0.3,
                        negated=rng.random() < 0.1,
                        polarity=rng.choice(("promotes", "promotes", "suppresses", "associated")),
                    )  # fmt: skip
                    if rng.random() < 0.12:
                        decide(s, ev, rng.choice(("accepted", "rejected")))
                    elif rng.random() < 0.02:
                        decide(s, ev, "accepted", {"organ": "lung"})
        for i in range(6):  # equal scores across findings, and pro/sup ties within a finding
            for year, polarity in ((2020, "promotes"), (2022, "suppresses" if i % 2 else "promotes")):
                pmid += 1
                art = add_article(s, str(pmid), year=year)
                add_evidence(s, art, mechanism=f"tie{i}", organ="liver", study_type="clinical", polarity=polarity)
        refresh_findings(s)
        s.commit()


def _filters(engine: Engine, **given: Any) -> Filters:
    with Session(engine) as s:
        return resolve_filters(s, **given)


@pytest.fixture
def exact(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``exact(fn)``: run ``fn`` with the year sums switched off (every filter scores the evidence)."""

    def run(fn: Any) -> Any:
        with monkeypatch.context() as m:
            m.setattr(finding_years, "answers", lambda conn, f: False)
            return fn()

    yield run


def _close(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    assert {k: v for k, v in fast.items() if k != "score"} == {k: v for k, v in slow.items() if k != "score"}
    assert fast["score"] == pytest.approx(slow["score"], abs=1e-9)


@pytest.mark.parametrize("given", FILTERS)
def test_the_sums_equal_the_scores_of_the_evidence(engine: Engine, mixed: None, given: dict[str, Any]) -> None:
    f = _filters(engine, **given)
    with engine.connect() as conn:
        assert finding_years.answers(conn, f)
        summed = {r.finding_id: r for r in finding_years.summed(conn, f, "score", 10_000)}
        exact = {fid: s for fid, _, s in ff._rescored(conn, f, selected=ff._with_words(conn, f)) if ff._keeps(s, f)}
    assert set(summed) == set(exact) and summed
    if given == {"since": "2019"}:  # the pro/sup ties of the fixture are flagged
        assert any(r.tied for r in summed.values())
    for fid, row in summed.items():
        s = exact[fid]
        if row.tied:  # the sort values bound the exact ones
            assert row.score.score >= s.score - 1e-9 and row.score.n_papers >= s.n_papers
            continue
        got = row.score
        assert (got.direction, got.n_papers, got.n_contradicting, got.first_year, got.last_year) == (
            s.direction, s.n_papers, s.n_contradicting, s.first_year, s.last_year)  # fmt: skip
        assert (got.n_evidence, got.n_accepted, got.n_rejected) == (s.n_evidence, s.n_accepted, s.n_rejected)
        for name in ("score", "support", "contradiction"):
            assert getattr(got, name) == pytest.approx(getattr(s, name), abs=1e-9)


@pytest.mark.parametrize("given", FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_a_page_from_the_sums_is_the_page_of_the_full_scoring(
    engine: Engine, mixed: None, exact: Any, given: dict[str, Any], sort: str
) -> None:
    _same_pages(engine, exact, given, sort)


@pytest.mark.parametrize("given", FILTERS[:5])
@pytest.mark.parametrize("most", [6, 1000])  # past 6 findings: every finding summed at once
def test_the_walk_by_year_bound_stops_early_and_still_gives_that_page(
    engine: Engine, mixed: None, exact: Any, given: dict[str, Any], most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small steps: the walk ends on the bound (or, past ``most`` findings, sums every finding at once)."""
    monkeypatch.setattr(finding_years, "_WALK_FIRST", 1)
    monkeypatch.setattr(finding_years, "_WALK_MAX", most)
    _same_pages(engine, exact, given, "score")


def test_the_walk_by_year_bound_sums_the_best_findings_only(
    engine: Engine, mixed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finding_years, "_WALK_FIRST", 1)
    summing, counted = finding_years._summed, []

    def counting(conn: Connection, f: Filters, sort: str, limit: int, ids: Any) -> Any:
        counted.append(len(ids) if ids is not None else 10**6)
        return summing(conn, f, sort, limit, ids)

    monkeypatch.setattr(finding_years, "_summed", counting)
    f = _filters(engine, since="2019", organ=["liver"])
    with engine.connect() as conn:
        best = finding_years.summed(conn, f, "score", 1)
        monkeypatch.setattr(finding_years, "_walk", lambda conn, f, limit: None)
        assert best == finding_years.summed(conn, f, "score", 1)
    walk = counted[:-1]  # (the last: every finding summed at once)
    assert len(walk) >= 2 and sum(walk) < 15  # steps of 2, 8: not the 20 liver findings


def _same_pages(engine: Engine, exact: Any, given: dict[str, Any], sort: str) -> None:
    f = _filters(engine, **given)
    with engine.connect() as conn:
        everything = exact(lambda: list(ff.filtered_finding_rows(conn, f, sort=sort)))
        for offset, limit in ((0, 5), (3, 4), (0, 50), (2, 0), (len(everything) - 2, 5), (len(everything) + 3, 5)):
            page = list(ff.filtered_finding_rows(conn, f, sort=sort, limit=limit, offset=offset))
            expected = [{**r, "rank": offset + n + 1} for n, r in enumerate(everything[offset : offset + limit])]
            assert len(page) == len(expected)
            for got, want in zip(page, expected, strict=True):
                _close(got, want)
            brief = list(ff.filtered_finding_rows(conn, f, sort=sort, limit=limit, offset=offset, top_pmids=False))
            for got, want in zip(brief, expected, strict=True):
                assert got["finding_key"] == want["finding_key"] and got["top_pmids"] in ([], want["top_pmids"])
                _close({**got, "top_pmids": None}, {**want, "top_pmids": None})


def _rows(conn: Connection) -> list[tuple[Any, ...]]:
    cols = [c for c in FindingYear.__table__.columns]
    return [tuple(r) for r in conn.execute(select(*cols).order_by(FindingYear.finding_id, FindingYear.year))]


def test_an_incremental_refresh_keeps_the_rows_in_step(engine: Engine, mixed: None) -> None:
    with Session(engine) as s:
        evidence = list(s.scalars(select(Evidence).order_by(Evidence.id).limit(40)))
        for ev in evidence[::7]:
            decide(s, ev, "rejected")
        decide(s, evidence[3], "accepted", {"organ": "peritoneum"})
        article = s.get(Article, evidence[-1].article_id)
        assert article is not None
        article.pub_year = 2024
        refresh_findings(s, {ev.article_id for ev in evidence})
        s.commit()
        incremental = _rows(s.connection())
        s.execute(delete(FindingYear))  # rebuilt from nothing: every finding's digest differs from none
        s.execute(update(Finding).values(years_digest=None))
        refresh_findings(s)
        s.commit()
        full = _rows(s.connection())
    assert len(incremental) == len(full)
    for a, b in zip(incremental, full, strict=True):
        assert a[:3] == b[:3]
        assert a[3:] == pytest.approx(b[3:], abs=1e-12)
    with engine.connect() as conn:
        assert finding_years.answers(conn, _filters(engine, since="2020"))


def test_the_rows_answer_only_what_they_were_scored_for(engine: Engine, mixed: None, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    with engine.connect() as conn:
        for given in ({}, {"since": "2020-06-01"}, {"until": "2020-03"}, {"since": "2020", "pmid": ["2001"]},
                      {"since": "2020", "study_type": ["clinical"]}):  # fmt: skip
            assert not finding_years.answers(conn, _filters(engine, **given))
        assert finding_years.answers(conn, _filters(engine, since="2020", until="2021"))
    weights = tmp_path / "rank_weights.json"
    weights.write_text(json.dumps({"contradiction": 0.25}), encoding="utf-8")
    monkeypatch.setenv("PDACMINE_WEIGHTS", str(weights))
    with engine.connect() as conn:  # the rows were scored with other weights
        assert not finding_years.answers(conn, _filters(engine, since="2020"))
    with Session(engine) as s:  # an incremental refresh with other weights leaves the rows unusable
        some = s.scalars(select(Evidence.article_id).limit(1)).one()
        monkeypatch.delenv("PDACMINE_WEIGHTS")
        refresh_findings(s, [some], reference_year=2000)
        s.commit()
    with engine.connect() as conn:
        assert not finding_years.answers(conn, _filters(engine, since="2020"))
    with Session(engine) as s:
        refresh_findings(s)
        s.commit()
    with engine.connect() as conn:
        assert finding_years.answers(conn, _filters(engine, since="2020"))


@pytest.mark.parametrize("given", [{"since": "2019"}, {"since": "2001", "until": "2020", "organ": ["lung"]},
                                   {"until": "2022", "min_papers": 4}])  # fmt: skip
def test_the_map_charts_from_the_rows_equal_counting_the_evidence(
    engine: Engine, mixed: None, given: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = _filters(engine, **given)
    with engine.connect() as conn:
        assert finding_years.charts_answered(conn, f)
        fast = (sorted(overview.evidence_by_year(conn, f)), overview.study_type_mix(conn, f))
        monkeypatch.setattr(finding_years, "charts_answered", lambda conn, f: False)
        slow = (sorted(overview.evidence_by_year(conn, f)), overview.study_type_mix(conn, f))
    assert fast == slow and fast[0] and fast[1]


def test_evidence_waiting_to_be_ranked_is_counted_from_the_evidence(engine: Engine, mixed: None) -> None:
    with Session(engine) as s:
        add_evidence(s, add_article(s, "9999", year=2021), mechanism="fresh", organ="bone")
        s.commit()
    f = _filters(engine, since="2021")
    with engine.connect() as conn:
        assert not finding_years.charts_answered(conn, f)
        assert any(organ == "bone" for _, organ, _ in overview.evidence_by_year(conn, f))


@pytest.mark.parametrize("status", [None, "all", "accepted", "rejected", "unreviewed"])
@pytest.mark.parametrize("years", [{"since": "2019"}, {"since": "2001", "until": "2015"}])
def test_the_maps_findings_of_whole_years_come_from_the_rows(
    engine: Engine, mixed: None, status: str | None, years: dict[str, str]
) -> None:
    f = _filters(engine, status=status, organ=["liver", "lung"], **years)
    with engine.connect() as conn:
        assert finding_years.findings_in_years(conn, f) is not None
        fast = set(conn.scalars(select(Finding.id).where(*overview.finding_filter(f, conn))))
        slow = set(conn.scalars(select(Finding.id).where(*overview.finding_filter(f))))
    assert fast == slow and fast


def test_the_query_table_scores_no_evidence_for_its_rows_but_json_lists_top_pmids(
    engine: Engine, mixed: None, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows no best PMIDs, so a page of whole years comes from the sums; JSON lists them (exactly)."""
    rescored, scored = ff._rescored, []

    def counting(conn: Connection, f: Filters, ids: Any = None, selected: Any = None) -> Any:
        scored.extend(ids or [])
        return rescored(conn, f, ids, selected)

    monkeypatch.setattr(ff, "_rescored", counting)
    years = ("--since", "2001", "--until", "2020", "--limit", "10")
    table = run_cli("query", *years)
    assert table.exit_code == 0 and len(set(scored)) < 10
    scored.clear()
    rows = json.loads(run_cli("query", *years, "--format", "json").stdout)
    assert len(rows) == 10 and set(scored) >= {r["finding_id"] for r in rows} and all(r["top_pmids"] for r in rows)


def test_a_refresh_leaves_the_rows_of_unchanged_findings_alone(
    engine: Engine, mixed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []
    inserting = finding_years.insert_rows

    def counting(conn: Connection, rows: Any) -> None:
        written.extend(r["finding_id"] for r in rows)
        inserting(conn, rows)

    monkeypatch.setattr(finding_years, "insert_rows", counting)
    with Session(engine) as s:
        refresh_findings(s)
        assert written == []
        article = s.scalars(select(Article).where(Article.pub_year == 2015, Article.deleted.is_(False)).limit(1)).one()
        article.pub_year = 2016
        refresh_findings(s)
        moved = set(s.scalars(select(Evidence.finding_id).where(Evidence.article_id == article.id)))
        assert set(written) == moved and moved
        s.rollback()
