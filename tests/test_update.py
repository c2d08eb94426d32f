"""pdacmine update (the cron job): order of steps, one lock, quiet success, exit codes, and a real end-to-end run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pdacmine.db.findings import refresh_findings
from pdacmine.db.lock import writer_lock
from pdacmine.errors import ConfigError, NetworkError
from pdacmine.jobs import extract as extraction
from pdacmine.jobs import harvest as harvesting
from pdacmine.miner import eutils
from pdacmine.models import Article, Finding
from tests.builders import add_article, add_evidence
from tests.eutils_stub import Corpus, EutilsStub

RunCli = Callable[..., Result]


@dataclass
class FakeRun:
    name: str

    def line(self) -> str:
        return f"{self.name}: 2 hits"


@dataclass
class FakeExtract:
    articles: int = 1
    evidence: int = 1
    extractor_version: str = "fake-1"
    seconds: float = 0.1

    def failure(self) -> None:
        return None


@pytest.fixture
def steps(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-ins for harvest (helper B) and extract_pending (helper D) that record their calls."""
    calls: list[str] = []

    def fake_harvest(eng: Engine, settings: Any, *, query_names: list[str] | None = None, **_: Any) -> list[FakeRun]:
        calls.append(f"harvest {query_names or 'all'} {settings.ncbi_email}")
        return [FakeRun("pdac-metastasis")]

    def fake_extract(eng: Engine, *, workers: int = 1, model: str | None = None, **_: Any) -> FakeExtract:
        calls.append(f"extract workers={workers}")
        with Session(eng) as s:
            art = add_article(s, f"9{len(calls)}")
            add_evidence(s, art, organ="peritoneum")
            s.commit()
        return FakeExtract()

    monkeypatch.setattr(harvesting, "harvest", fake_harvest)
    monkeypatch.setattr(extraction, "extract_pending", fake_extract)
    return calls


def n_findings(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Finding)) or 0)


def test_update_harvests_extracts_and_ranks(run_cli: RunCli, engine: Engine, steps: list[str]) -> None:
    result = run_cli("update", "--email", "me@example.org", "--workers", "2")
    assert result.exit_code == 0, result.stderr
    assert steps == ["harvest all me@example.org", "extract workers=2"]
    lines = result.stdout.splitlines()
    assert lines[0] == "harvest: pdac-metastasis: 2 hits" and lines[1].startswith("extract: 1 article(s)")
    assert lines[2].startswith("rank: 1 finding (1 new") and n_findings(engine) == 1


def test_quiet_on_success_and_offline_mode(run_cli: RunCli, steps: list[str]) -> None:
    result = run_cli("-q", "update", "--no-harvest")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert steps == ["extract workers=1"]
    assert run_cli("update", "--query", "mine", "--query", "other").exit_code == 0
    assert steps[1].startswith("harvest ['mine', 'other']")


def test_network_failure_still_extracts_and_ranks_then_exits_4(
    run_cli: RunCli, engine: Engine, steps: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: Any, **__: Any) -> list[FakeRun]:
        raise NetworkError("E-utilities still failing after 3 tries: HTTP 503")

    monkeypatch.setattr(harvesting, "harvest", down)
    result = run_cli("-q", "update")
    assert result.exit_code == 4
    assert steps == ["extract workers=1"] and n_findings(engine) == 1
    assert result.stderr.count("pdacmine: error:") == 1 and "HTTP 503" in result.stderr
    assert len(result.stderr.splitlines()) == 1  # -q: the error once, nothing else


def test_bad_setting_stops_before_anything(run_cli: RunCli, steps: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_email(*_: Any, **__: Any) -> list[FakeRun]:
        raise ConfigError("no NCBI e-mail: set NCBI_EMAIL")

    monkeypatch.setattr(harvesting, "harvest", no_email)
    result = run_cli("update")
    assert result.exit_code == 3 and steps == [] and "NCBI_EMAIL" in result.stderr


def test_a_second_run_exits_6_at_once(run_cli: RunCli, engine: Engine, steps: list[str]) -> None:
    with writer_lock(engine):
        result = run_cli("-q", "update")
    assert result.exit_code == 6 and steps == []
    assert "another pdacmine run" in result.stderr


def test_update_and_rank_refresh_everything(run_cli: RunCli, engine: Engine, steps: list[str]) -> None:
    """update refreshes all findings, so changes made without a refresh (a withdrawn article) are caught."""
    with Session(engine) as s:
        art = add_article(s, "500")
        add_evidence(s, art, organ="lung")
        refresh_findings(s)
        art.deleted = True
        s.commit()
    assert n_findings(engine) == 1
    assert run_cli("-q", "update", "--no-harvest").exit_code == 0
    with Session(engine) as s:
        assert set(s.scalars(select(Finding.finding_key))) == {"zeb1|-|peritoneum|-"}
    ranked = run_cli("rank")
    assert ranked.exit_code == 0 and ranked.stdout.startswith("ranked 1 finding, all up to date")


def test_end_to_end_over_the_loopback_eutils(
    run_cli: RunCli, engine: Engine, eutils_server: EutilsStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real harvest (loopback E-utilities) and the real extractor, then ranking and PRISMA."""
    monkeypatch.setenv("NCBI_EMAIL", "ada+pdac@example.org")
    monkeypatch.setenv("PDACMINE_EUTILS_URL", eutils_server.url)
    monkeypatch.setattr(eutils, "MAX_RETRIES", 1)
    eutils_server.corpus = Corpus.spread(12, date(2024, 1, 1), date(2024, 1, 31))
    result = run_cli("update")
    assert result.exit_code == 0, result.stderr
    assert "harvest:" in result.stdout and "extract: 12 article(s)" in result.stdout
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 12
        before = sorted((f.finding_key, round(f.score, 9), f.n_evidence) for f in s.scalars(select(Finding)))
        refresh_findings(s)
        after = sorted((f.finding_key, round(f.score, 9), f.n_evidence) for f in s.scalars(select(Finding)))
    assert before == after
    prisma = run_cli("prisma", "--format", "text")
    assert "Records identified" in prisma.stdout and "warning" not in prisma.stdout
    again = run_cli("-q", "update")
    assert again.exit_code == 0 and again.stdout == ""
