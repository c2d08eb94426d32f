"""Harvesting end to end over real HTTP: windows, splitting, resume, the search log, the lock, secrets."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import pairwise

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pdacmine.config import Settings, load_settings
from pdacmine.db.lock import writer_lock
from pdacmine.errors import InputError, NetworkError
from pdacmine.jobs.harvest import Progress, harvest, iter_search_parts
from pdacmine.miner import eutils
from pdacmine.miner.eutils import EutilsClient
from pdacmine.miner.pubmed_query import DEFAULT_QUERY_NAME, default_query_term, windowed_term
from pdacmine.models import Article, HarvestMiss, RecordError, SavedQuery, SearchHit, SearchRun
from tests.eutils_stub import Corpus, EutilsStub

RunCli = Callable[..., Result]
EMAIL = "ada+pdac@example.org"
KEY = "fedcba9876543210fedcba9876543210aa11"


@pytest.fixture
def ncbi_env(eutils_server: EutilsStub, monkeypatch: pytest.MonkeyPatch) -> EutilsStub:
    """Settings pointing at the stand-in (with a key: 10 requests/s) and quick retries."""
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    monkeypatch.setenv("PDACMINE_EUTILS_URL", eutils_server.url)
    monkeypatch.setattr(eutils, "MAX_RETRIES", 2)
    monkeypatch.setattr(eutils, "BACKOFF", 0.01)
    return eutils_server


def settings_for(server: EutilsStub) -> Settings:
    return load_settings({"ncbi_email": EMAIL, "ncbi_api_key": KEY, "eutils_url": server.url}, environ={})


@pytest.fixture
def client(eutils_server: EutilsStub) -> Iterator[EutilsClient]:
    with EutilsClient(eutils_server.url, EMAIL, api_key=KEY, max_retries=1, backoff=0.0, rate=100) as c:
        yield c


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def runs(engine: Engine) -> list[SearchRun]:
    with Session(engine) as session:
        return list(session.scalars(select(SearchRun).order_by(SearchRun.id)))


def watermark(engine: Engine, name: str = DEFAULT_QUERY_NAME) -> date | None:
    with Session(engine) as session:
        return session.scalar(select(SavedQuery.watermark).where(SavedQuery.name == name))


def no_secrets(*texts: str | None) -> bool:
    return not any(t and ("example.org" in t or "ada+" in t or "ada%2B" in t or KEY[:16] in t) for t in texts)


def test_harvest_stores_the_corpus_and_logs_the_run(run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub) -> None:
    result = run_cli("harvest", "--batch-size", "50")
    assert result.exit_code == 0, result.output + result.stderr
    assert "120 hits" in result.output and "120 new" in result.output
    assert count(engine, Article) == 120
    [run] = runs(engine)
    today = date.today()
    assert run.status == "ok" and run.finished_at is not None and run.error is None
    assert (run.hits, run.fetched, run.new, run.updated, run.failed) == (120, 120, 120, 0, 0)
    assert run.query_sent == windowed_term(default_query_term(), date(1800, 1, 1), today)
    assert run.query_translation and "[Date - Create]" in run.query_translation
    assert (run.database, run.datetype, run.mindate, run.run_kind) == ("PubMed", "crdt", "1800/01/01", "initial")
    assert run.maxdate == today.strftime("%Y/%m/%d") and run.tool_version.startswith("pdacmine ")
    assert count(engine, SearchHit, SearchHit.run_id == run.id) == 120
    assert watermark(engine) == today
    fetches = ncbi_env.calls("efetch")
    assert [r.params["retmax"] for r in fetches] == ["50", "50", "20"]
    assert all(r.params["WebEnv"].startswith("MCID_") and r.params["query_key"] == "1" for r in fetches)
    with Session(engine) as session:
        assert session.scalar(select(Article.source).limit(1)) == "eutils"


def test_quiet_harvest_prints_nothing(run_cli: RunCli, ncbi_env: EutilsStub) -> None:
    result = run_cli("-q", "harvest")
    assert result.exit_code == 0
    assert result.output == "" and result.stderr == ""


def test_rerun_reads_the_overlap_and_is_idempotent(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient
) -> None:
    settings = settings_for(eutils_server)
    [first] = harvest(engine, settings, client=client, today=date(2024, 3, 31))
    assert first.counts.new == 120 and watermark(engine) == date(2024, 3, 31)
    corpus = eutils_server.corpus
    recent = corpus.select(date(2024, 3, 25), date(2024, 3, 31))
    corpus.revise(recent[0])  # new indexing, same version
    corpus.revise(recent[1], new_version=True)
    corpus.days["39000001"] = date(2024, 4, 1)
    [second] = harvest(engine, settings, client=client, today=date(2024, 4, 2))
    assert (second.mindate, second.maxdate) == ("2024/03/24", "2024/04/02")
    window = corpus.select(date(2024, 3, 24), date(2024, 4, 2))
    assert second.hits == len(window)
    assert (second.counts.new, second.counts.updated, second.counts.unchanged) == (1, 2, len(window) - 3)
    assert count(engine, Article) == 121 and watermark(engine) == date(2024, 4, 2)
    assert runs(engine)[1].run_kind == "update"
    with Session(engine) as session:
        assert session.scalar(select(Article.version).where(Article.pmid == recent[1])) == 2


def test_windows_over_the_cap_are_split_and_nothing_is_lost(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eutils, "SEARCH_CAP", 40)
    eutils_server.corpus = Corpus.spread(300, date(2024, 1, 1), date(2024, 3, 31))
    [summary] = harvest(engine, settings_for(eutils_server), client=client, batch_size=25, today=date(2024, 3, 31))
    assert summary.status == "ok" and summary.hits == 300 and summary.windows >= 8
    assert count(engine, Article) == 300
    assert count(engine, SearchHit, SearchHit.run_id == summary.run_id) == 300
    searches = eutils_server.calls("esearch")
    assert all(r.params["retmax"] == "40" for r in searches)
    assert watermark(engine) == date(2024, 3, 31)


def test_pubmed_cap_split_covers_25000_records_exactly(eutils_server: EutilsStub, client: EutilsClient) -> None:
    eutils_server.corpus = Corpus.spread(25_000, date(2020, 1, 1), date(2020, 12, 31))
    parts = list(iter_search_parts(client, "pdac", date(2020, 1, 1), date(2020, 12, 31)))
    assert parts[0].root and parts[0].result.count == 25_000 and not parts[0].leaf
    leaves = [p for p in parts if p.leaf]
    assert all(p.result.count <= 9999 and len(p.result.ids) == p.result.count for p in leaves)
    ids = [pmid for p in leaves for pmid in p.result.ids]
    assert len(ids) == len(set(ids)) == 25_000 and set(ids) == set(eutils_server.corpus.days)
    assert leaves[0].mindate == date(2020, 1, 1) and leaves[-1].maxdate == date(2020, 12, 31)
    for before, after in pairwise(leaves):
        assert after.mindate == before.maxdate + timedelta(days=1)


def test_a_single_day_over_the_cap_fails_clearly(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient
) -> None:
    day = date(2024, 1, 10)
    eutils_server.corpus = Corpus.spread(10_050, day, day)
    with pytest.raises(InputError, match="narrow the query"):
        harvest(engine, settings_for(eutils_server), client=client, since=day, until=day)
    [run] = runs(engine)
    assert run.status == "failed" and "10,050 records" in (run.error or "")
    assert eutils_server.calls("efetch") == []


def test_network_failure_keeps_batches_and_the_next_run_completes(
    run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ncbi_env.corpus = Corpus.spread(100, date(2024, 1, 1), date(2024, 3, 31))
    ncbi_env.fail_efetch_after = 3
    failed = run_cli("-v", "harvest", "--batch-size", "10")
    assert failed.exit_code == 4
    assert failed.stderr.count("pdacmine: error:") == 1 and "still failing" in failed.stderr
    assert count(engine, Article) == 30 and watermark(engine) is None
    [run] = runs(engine)
    assert run.status == "failed" and "HTTP 503" in (run.error or "") and run.new == 30
    assert count(engine, SearchHit, SearchHit.run_id == run.id) == 100
    assert no_secrets(failed.output, failed.stderr, run.error, run.query_sent, caplog.text)

    ncbi_env.fail_efetch_after = None
    again = run_cli("harvest", "--batch-size", "10")
    assert again.exit_code == 0, again.stderr
    assert count(engine, Article) == 100 and watermark(engine) == date.today()
    second = runs(engine)[1]
    assert (second.status, second.new, second.unchanged) == ("ok", 70, 30)


def test_short_efetch_answers_are_completed_by_id(run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub) -> None:
    ncbi_env.corpus = Corpus.spread(300, date(2024, 1, 1), date(2024, 3, 31))
    ncbi_env.efetch_drops.extend([7, 0, 7, 7])  # three of the six history-server answers lack 7 records
    result = run_cli("-q", "harvest", "--batch-size", "50")
    assert result.exit_code == 0, result.stderr
    assert count(engine, Article) == 300 and watermark(engine) == date.today()
    [run] = runs(engine)
    assert (run.status, run.new, run.fetched) == ("ok", 300, 300)
    by_id = [r for r in ncbi_env.calls("efetch") if "id" in r.params]
    assert len(by_id) == 1 and len(by_id[0].params["id"].split(",")) == 21


def test_an_out_of_range_version_is_skipped_and_reported_and_the_harvest_completes(
    run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub
) -> None:
    odd = sorted(ncbi_env.corpus.days)[5]
    ncbi_env.corpus.versions[odd] = 2**63
    result = run_cli("harvest", "--batch-size", "50")
    assert result.exit_code == 0, result.stderr
    assert "119 new" in result.output and "1 failed" in result.output
    assert count(engine, Article) == 119 and watermark(engine) == date.today()
    with Session(engine) as session:
        [error] = session.scalars(select(RecordError)).all()
    assert error.pmid == odd and "version 9223372036854775808 is out of range" in error.reason


def test_records_never_returned_fail_the_run_and_the_next_run_finishes_the_window(
    run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub
) -> None:
    ncbi_env.corpus = Corpus.spread(60, date(2024, 1, 1), date(2024, 3, 31))
    lost = sorted(ncbi_env.corpus.days)[10:13]
    ncbi_env.never_fetched.update(lost)
    failed = run_cli("harvest", "--batch-size", "25")
    assert failed.exit_code == 4
    [line] = failed.stderr.strip().splitlines()
    assert "did not return 3 of the 60 records" in line and lost[0] in line and "run harvest again" in line
    assert count(engine, Article) == 57 and watermark(engine) is None
    assert runs(engine)[0].status == "failed"

    ncbi_env.never_fetched.clear()
    again = run_cli("harvest", "--batch-size", "25")
    assert again.exit_code == 0, again.stderr
    assert count(engine, Article) == 60 and watermark(engine) == date.today()
    assert runs(engine)[1].new == 3


def test_a_record_never_returned_is_given_up_after_three_runs_and_stored_when_it_comes(
    run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub
) -> None:
    """NCBI index lag or a withdrawn record: ESearch lists a PMID that EFetch never returns. Runs 1-2 fail
    (exit 4, the watermark stays) saying how many runs are left; run 3 records the PMID as failed and moves
    the watermark; a run that re-reads its day (the overlap) and still misses it passes it by; a run that
    gets it stores it."""
    today = date.today()
    ncbi_env.corpus = Corpus.spread(40, today - timedelta(days=39), today)
    lost = max(ncbi_env.corpus.days, key=int)  # created today: every later run's overlap re-reads its day
    ncbi_env.never_fetched.add(lost)

    for left in (2, 1):
        failed = run_cli("harvest")
        assert failed.exit_code == 4
        [line] = failed.stderr.strip().splitlines()
        assert "did not return 1 of the 40 records" in line and lost in line
        assert f"after {left} more run(s) is recorded as failed" in line
        assert watermark(engine) is None and count(engine, RecordError) == 0
    assert count(engine, Article) == 39 and [r.status for r in runs(engine)] == ["failed", "failed"]

    third = run_cli("harvest")
    assert third.exit_code == 0, third.stderr
    assert "1 failed" in third.output and watermark(engine) == today
    with Session(engine) as session:
        [error] = session.scalars(select(RecordError)).all()
    assert error.pmid == lost and error.reason == f"NCBI returned no record for PMID {lost} in 3 runs"
    assert error.source == f"search run {runs(engine)[2].id}"
    assert runs(engine)[2].status == "ok" and runs(engine)[2].failed == 1

    fourth = run_cli("harvest")  # re-reads the last 7 days, still without the record
    assert fourth.exit_code == 0, fourth.stderr
    assert count(engine, RecordError) == 1 and runs(engine)[3].failed == 0

    ncbi_env.never_fetched.clear()
    fifth = run_cli("harvest")
    assert fifth.exit_code == 0, fifth.stderr
    assert count(engine, Article, Article.pmid == lost) == 1 and runs(engine)[4].new == 1
    assert count(engine, HarvestMiss) == 0


def test_the_give_up_runs_are_a_setting(run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub) -> None:
    lost = sorted(ncbi_env.corpus.days)[3]
    ncbi_env.never_fetched.add(lost)
    bad = run_cli("harvest", env={"PDACMINE_HARVEST_GIVE_UP_RUNS": "0"})
    assert bad.exit_code == 3 and "harvest_give_up_runs" in bad.stderr
    at_once = run_cli("harvest", env={"PDACMINE_HARVEST_GIVE_UP_RUNS": "1"})
    assert at_once.exit_code == 0, at_once.stderr
    assert "1 failed" in at_once.output and watermark(engine) == date.today()
    assert count(engine, RecordError, RecordError.reason.contains(f"PMID {lost} in 1 runs")) == 1


def test_ctrl_c_marks_the_run_interrupted_and_keeps_batches(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient
) -> None:
    def stop(progress: Progress) -> None:
        if progress.fetched >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harvest(engine, settings_for(eutils_server), client=client, batch_size=10, on_progress=stop)
    [run] = runs(engine)
    assert run.status == "interrupted" and run.finished_at is not None
    assert count(engine, Article) == 20 and run.fetched == 20 and watermark(engine) is None


def test_a_run_left_running_by_a_killed_process_is_closed(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient
) -> None:
    with Session(engine) as session:
        session.add(SearchRun(query_name="old", query_sent="x", status="running", tool_version="pdacmine 0"))
        session.commit()
    harvest(engine, settings_for(eutils_server), client=client)
    stale, fresh = runs(engine)
    assert stale.status == "interrupted" and "killed" in (stale.error or "")
    assert fresh.status == "ok"


def test_backfill_moves_the_watermark_only_when_it_joins_it(
    engine: Engine, eutils_server: EutilsStub, client: EutilsClient
) -> None:
    settings = settings_for(eutils_server)
    [gap] = harvest(engine, settings, client=client, since=date(2024, 2, 1), until=date(2024, 2, 29))
    assert gap.hits == len(eutils_server.corpus.select(date(2024, 2, 1), date(2024, 2, 29)))
    assert watermark(engine) is None and runs(engine)[0].run_kind == "backfill"
    harvest(engine, settings, client=client, today=date(2024, 1, 15))
    assert watermark(engine) == date(2024, 1, 15)
    harvest(engine, settings, client=client, since=date(2024, 1, 10), until=date(2024, 2, 10))
    assert watermark(engine) == date(2024, 2, 10)


def test_lock_held_exits_6_at_once_without_network(run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub) -> None:
    with writer_lock(engine):
        result = run_cli("harvest")
    assert result.exit_code == 6
    assert "another pdacmine run" in result.stderr
    assert ncbi_env.requests == [] and runs(engine) == []


def _harvest_process(db_url: str, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pdacmine", "--db", db_url, "harvest", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_second_process_is_refused_while_a_harvest_runs(
    run_cli: RunCli, engine: Engine, db_url: str, ncbi_env: EutilsStub
) -> None:
    ncbi_env.corpus = Corpus.spread(30, date(2024, 1, 1), date(2024, 1, 31))
    ncbi_env.efetch_delay = 0.3
    with writer_lock(engine):
        refused = _harvest_process(db_url)
        _, err = refused.communicate(timeout=60)
    assert refused.returncode == 6 and "another pdacmine run" in err
    first = _harvest_process(db_url, "--batch-size", "10")
    try:
        _wait_for(lambda: len(ncbi_env.calls("efetch")) >= 1)
        second = run_cli("harvest")
        assert second.exit_code == 6
    finally:
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert count(engine, Article) == 30 and [r.status for r in runs(engine)] == ["ok"]


def test_sigterm_ends_a_harvest_like_ctrl_c(engine: Engine, db_url: str, ncbi_env: EutilsStub) -> None:
    ncbi_env.corpus = Corpus.spread(60, date(2024, 1, 1), date(2024, 1, 31))
    ncbi_env.efetch_delay = 0.3
    proc = _harvest_process(db_url, "--batch-size", "10")
    try:
        _wait_for(lambda: len(ncbi_env.calls("efetch")) >= 3)
        proc.send_signal(signal.SIGTERM)
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    [run] = runs(engine)
    assert run.status == "interrupted"
    assert 20 <= count(engine, Article) < 60 and watermark(engine) is None


def test_harvest_refuses_to_run_without_an_email(run_cli: RunCli, eutils_server: EutilsStub) -> None:
    result = run_cli("harvest", "--eutils-url", eutils_server.url)
    assert result.exit_code == 3
    assert "NCBI_EMAIL" in result.stderr and eutils_server.requests == []


def test_options_override_the_environment(
    run_cli: RunCli, ncbi_env: EutilsStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDACMINE_EUTILS_URL", "http://127.0.0.1:9/nowhere/")
    result = run_cli("harvest", "--email", "opt@example.net", "--api-key", "optkey123", "--eutils-url", ncbi_env.url)
    assert result.exit_code == 0, result.stderr
    sent = ncbi_env.requests[0].params
    assert sent["email"] == "opt@example.net" and sent["api_key"] == "optkey123"


def test_bad_options_are_one_line_exit_3(run_cli: RunCli, ncbi_env: EutilsStub) -> None:
    for args, message in (
        (["--since", "2024/13/01"], "--since"),
        (["--since", "2024/02/01", "--until", "2024/01/01"], "after"),
        (["--query", "nope"], "no saved query"),
    ):
        result = run_cli("harvest", *args)
        assert result.exit_code == 3 and message in result.stderr, args
    assert ncbi_env.requests == []


def test_several_saved_queries_each_get_a_run(run_cli: RunCli, engine: Engine, ncbi_env: EutilsStub) -> None:
    assert run_cli("queries", "add", "liver", '"Liver Neoplasms/secondary"[mh]').exit_code == 0
    assert run_cli("queries", "add", "empty", "NOMATCH").exit_code == 0
    result = run_cli("harvest", "--query", "liver", "--query", "empty")
    assert result.exit_code == 0, result.stderr
    assert [(r.query_name, r.hits, r.status) for r in runs(engine)] == [("liver", 120, "ok"), ("empty", 0, "ok")]
    assert watermark(engine, "empty") == date.today() and watermark(engine, DEFAULT_QUERY_NAME) is None
    everything = run_cli("harvest")
    assert everything.exit_code == 0
    assert {r.query_name for r in runs(engine)[2:]} == {"liver", "empty", DEFAULT_QUERY_NAME}


def test_searches_lists_and_exports_the_log(run_cli: RunCli, ncbi_env: EutilsStub) -> None:
    assert run_cli("harvest").exit_code == 0
    ncbi_env.fail_efetch_after = 0
    assert run_cli("harvest", "--since", "2024/01/01").exit_code == 4
    table = run_cli("searches")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert "failed" in lines[1] and "HTTP 503" in lines[2] and " ok " in lines[3]
    exported = json.loads(run_cli("searches", "--format", "json").output)
    assert [r["status"] for r in exported] == ["failed", "ok"]
    assert exported[1]["query_sent"].endswith("[crdt]") and exported[1]["pmids_recorded"] == 120
    assert exported[1]["platform"].startswith("NCBI E-utilities") and exported[1]["query_translation"]
    csv_lines = run_cli("searches", "--format", "csv", "--status", "ok").output.splitlines()
    assert csv_lines[0].startswith("id,query_name,database,platform,query_sent") and len(csv_lines) == 2
    run_id = str(exported[1]["id"])
    detail = run_cli("searches", "--run", run_id).output
    assert "query_translation:" in detail and "[Date - Create]" in detail
    pmids = run_cli("searches", "--run", run_id, "--pmids").output.split()
    assert len(pmids) == 120 and set(pmids) == set(ncbi_env.corpus.days)
    assert run_cli("searches", "--pmids").exit_code == 2


def test_library_errors_without_client_need_an_email(engine: Engine, eutils_server: EutilsStub) -> None:
    settings = load_settings({"eutils_url": eutils_server.url}, environ={})
    with pytest.raises(Exception, match="NCBI_EMAIL"):
        harvest(engine, settings)
    with pytest.raises(NetworkError):
        eutils_server.fail_efetch_after = 0
        harvest(engine, settings_for(eutils_server), client=EutilsClient(eutils_server.url, EMAIL, max_retries=0))
