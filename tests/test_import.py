"""Storing parsed records and ``pdacmine import``: upsert rules, deletions, re-runs, bad and truncated files."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from pdacmine.cli import cli
from pdacmine.db.article_rows import ArticleRow, to_row
from pdacmine.db.articles import StoreCounts, store_batch
from pdacmine.db.engine import session_scope
from pdacmine.db.lock import writer_lock
from pdacmine.jobs.importer import import_files, order_files
from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord, ParsedItem
from pdacmine.models import Article, ImportedFile, RecordError

DATA = Path(__file__).parent / "data"
RunCli = Callable[..., Result]


def articles(engine: Engine) -> dict[str, Article]:
    with session_scope(engine) as session:
        return {a.pmid: a for a in session.scalars(select(Article))}


def count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def dist(tmp_path: Path) -> dict[str, Path]:
    """The fixtures under PubMed distribution names: a baseline and two update files (one gzipped)."""
    base = tmp_path / "pubmed26n0001.xml"
    shutil.copy(DATA / "pubmed_baseline.xml", base)
    up1 = tmp_path / "pubmed26n0002.xml"
    shutil.copy(DATA / "pubmed_update1.xml", up1)
    up2 = tmp_path / "pubmed26n0010.xml.gz"
    up2.write_bytes(gzip.compress((DATA / "pubmed_update2.xml").read_bytes()))
    return {"base": base, "up1": up1, "up2": up2}


def test_import_stores_articles_and_reports_bad_record(
    run_cli: RunCli,
    engine: Engine,
    dist: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = run_cli("import", str(dist["base"]))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{dist['base']}: 6 new, 0 updated, 0 unchanged, 0 deleted, 1 failed\n"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"{dist['base']}: skipped record PMID (none): PubmedArticle at line 203 has no PMID"]
    stored = articles(engine)
    assert sorted(stored) == [f"9000000{i}" for i in range(1, 7)]
    first = stored["90000001"]
    assert first.source == "file" and first.deleted is False and first.version == 1
    assert first.mesh[1]["qualifiers"][0] == {
        "ui": "Q000556",
        "name": "secondary",
        "major": True,
    }
    assert first.authors[0]["affiliations"][1] == "Institut für Tumorbiologie, Köln, Germany."
    assert first.abstract.startswith("BACKGROUND: Liver metastasis")
    assert stored["90000002"].pub_date_raw == "2019 Jan-Feb" and stored["90000003"].retracted is True
    with session_scope(engine) as session:
        errors = session.scalars(select(RecordError)).all()
        files = session.scalars(select(ImportedFile)).all()
    assert [(e.source, e.pmid) for e in errors] == [(str(dist["base"]), None)] and "no PMID" in errors[0].reason
    assert len(files) == 1 and files[0].new == 6 and files[0].failed == 1 and files[0].records == 7


def test_reimport_is_skipped_and_force_changes_nothing(run_cli: RunCli, engine: Engine, dist: dict[str, Path]) -> None:
    run_cli("import", str(dist["base"]))
    before = {p: (a.last_updated, a.content_hash) for p, a in articles(engine).items()}
    again = run_cli("import", str(dist["base"]))
    assert again.exit_code == 0 and again.stdout == f"{dist['base']}: already imported, skipped\n"
    forced = run_cli("import", "--force", str(dist["base"]))
    assert forced.stdout == f"{dist['base']}: 0 new, 0 updated, 6 unchanged, 0 deleted, 1 failed\n"
    assert {p: (a.last_updated, a.content_hash) for p, a in articles(engine).items()} == before
    assert count(engine, ImportedFile) == 1


def test_quiet_prints_nothing(run_cli: RunCli, dist: dict[str, Path]) -> None:
    result = run_cli("-q", "import", str(dist["base"]))
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_update_files_applied_in_natural_order(run_cli: RunCli, engine: Engine, dist: dict[str, Path]) -> None:
    # given newest first: the baseline and n0002 must still be applied before n0010
    result = run_cli("import", str(dist["up2"]), str(dist["up1"]), str(dist["base"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{dist['base']}: 6 new, 0 updated, 0 unchanged, 0 deleted, 1 failed",
        f"{dist['up1']}: 1 new, 1 updated, 2 unchanged, 1 deleted, 0 failed",
        f"{dist['up2']}: 0 new, 2 updated, 0 unchanged, 0 deleted, 0 failed",
        "total (3 files): 7 new, 3 updated, 2 unchanged, 1 deleted, 1 failed",
    ]
    stored = articles(engine)
    assert stored["90000003"].deleted is False  # deleted by n0002, back in n0010
    assert stored["90000002"].version == 3 and stored["90000002"].title.startswith("A corrected model")
    assert "Mice" in [m["name"] for m in stored["90000001"].mesh]
    assert stored["90000007"].pub_date_raw == "1998 Dec 23-30"


def test_version_precedence_deletion_and_same_version_reindexing(engine: Engine, dist: dict[str, Path]) -> None:
    import_files(engine, [dist["base"]])
    before = articles(engine)
    [summary] = import_files(engine, [dist["up1"]])
    assert summary.counts == StoreCounts(new=1, updated=1, unchanged=2, deleted=1, failed=0)
    after = articles(engine)
    # an older version (1) never overwrites the stored version 2
    assert after["90000002"].version == 2 and not after["90000002"].title.startswith("An OLDER")
    assert after["90000002"].last_updated == before["90000002"].last_updated
    # same version, new MeSH indexing: updated in place, first_seen kept
    assert len(after["90000001"].mesh) == 4 and after["90000001"].first_seen == before["90000001"].first_seen
    assert after["90000001"].last_updated > before["90000001"].last_updated
    # identical record: untouched
    assert after["90000004"].last_updated == before["90000004"].last_updated
    # DeleteCitation keeps the row, flagged; an unknown PMID is ignored
    assert after["90000003"].deleted is True and after["90000003"].title
    assert "90000098" not in after


def test_truncated_file_keeps_committed_batches(run_cli: RunCli, engine: Engine, dist: dict[str, Path]) -> None:
    truncated = DATA / "pubmed_truncated.xml"
    result = run_cli("import", "--batch-size", "2", str(dist["base"]), str(truncated))
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.startswith("pdacmine: error")]
    assert len(lines) == 1
    assert (
        f"{truncated}, line " in lines[0]
        and "truncated" in lines[0]
        and "all 3 records before it were applied (3 new" in lines[0]
    )
    stored = articles(engine)
    assert {"91000001", "91000002", "91000003"} <= set(stored) and "91000004" not in stored
    assert "90000001" in stored  # the file before it stays imported
    with session_scope(engine) as session:
        names = session.scalars(select(ImportedFile.name)).all()
    assert names == [str(dist["base"])]  # the broken file is not marked finished


def test_missing_file_is_exit_3_and_writes_nothing(run_cli: RunCli, engine: Engine, dist: dict[str, Path]) -> None:
    result = run_cli("import", str(dist["base"]), str(dist["base"].parent / "missing.xml"))
    assert result.exit_code == 3 and "missing.xml: no such file" in result.stderr
    assert count(engine, Article) == 0


def test_locked_database_exits_6(run_cli: RunCli, engine: Engine, dist: dict[str, Path]) -> None:
    with writer_lock(engine):
        result = run_cli("import", str(dist["base"]))
    assert result.exit_code == 6 and "another pdacmine run" in result.stderr
    assert count(engine, Article) == 0


def test_store_batch_in_batch_sequences_and_seen(engine: Engine) -> None:
    seen: set[str] = set()
    items: list[ParsedItem] = [
        ArticleRecord("11", title="new then deleted"),
        DeleteRecord("11"),
        ArticleRecord("12", title="v1"),
        ArticleRecord("12", version=2, title="v2"),
        ArticleRecord("12", version=1, title="v1 again"),
        BadRecord("13", "unreadable field: bad"),
        DeleteRecord("14"),
    ]
    with session_scope(engine) as session:
        counts = store_batch(session, items, "eutils", "search run 1", seen=seen)
    assert counts == StoreCounts(new=2, updated=1, unchanged=1, deleted=1, failed=1)
    assert counts.records == 6 and seen == {"11", "12"}
    stored = articles(engine)
    assert stored["11"].deleted is True and stored["12"].title == "v2" and stored["12"].source == "eutils"
    with session_scope(engine) as session:  # a re-appearance un-deletes
        again = store_batch(session, [ArticleRecord("11", title="new then deleted")], "eutils", "run 2")
    assert again.updated == 1 and articles(engine)["11"].deleted is False
    assert (counts + again).updated == 2


def test_rows_without_content_hash_compare_by_content(engine: Engine) -> None:
    with session_scope(engine) as session:  # as if written by an older pdacmine
        session.add(Article(pmid="21", title="t", abstract="a", keywords=["k"], source="file"))
    with session_scope(engine) as session:
        same = store_batch(
            session,
            [ArticleRecord("21", title="t", abstract="a", keywords=["k"])],
            "file",
            "f",
        )
        changed = store_batch(session, [ArticleRecord("21", title="t2", abstract="a")], "file", "f")
    assert same.unchanged == 1 and changed.updated == 1
    assert articles(engine)["21"].title == "t2"


def test_overlong_values_are_cut_to_the_column(engine: Engine) -> None:
    with session_scope(engine) as session:
        store_batch(
            session,
            [ArticleRecord("31", title="t", pages="1-" + "9" * 300)],
            "file",
            "f",
        )
    assert len(articles(engine)["31"].pages or "") == 100


def test_order_files_sorts_only_pubmed_names() -> None:
    given = [
        "b.xml",
        "x/pubmed26n0010.xml.gz",
        "a.xml",
        "y/pubmed26n0002.xml.gz",
        "pubmed25n1300.xml.gz",
    ]
    assert [str(p) for p in order_files(given)] == [
        "b.xml",
        "pubmed25n1300.xml.gz",
        "a.xml",
        "y/pubmed26n0002.xml.gz",
        "x/pubmed26n0010.xml.gz",
    ]


def test_help_documents_order_and_example(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["import", "--help"])
    assert result.exit_code == 0
    assert "pubmed26n0001 before" in result.output and "Example:" in result.output


def test_rows_made_while_parsing_store_like_records(engine: Engine) -> None:
    record = ArticleRecord(
        "41",
        title="Ünïcode title",
        keywords=["β-catenin"],
        authors=[{"last": "Øster", "fore": None, "affiliations": ["Bergen"], "orcid": None}],
    )
    row = to_row(record)
    assert isinstance(row, ArticleRow) and row.pmid == "41"
    bad, gone = BadRecord("42", "unreadable field: x"), DeleteRecord("41")
    assert to_row(bad) is bad and to_row(gone) is gone
    with session_scope(engine) as session:
        first = store_batch(session, [row, bad], "file", "f")
        again = store_batch(session, [record], "file", "f")  # the same content as a record: unchanged
        deleted = store_batch(session, [gone], "file", "f")
    assert (first.new, first.failed, again.unchanged, deleted.deleted) == (1, 1, 1, 1)
    stored = articles(engine)["41"]
    assert stored.title == "Ünïcode title" and stored.keywords == ["β-catenin"] and stored.deleted is True
    assert stored.authors == record.authors


def _records(first: int, n: int) -> bytes:
    return b"".join(
        b"<PubmedArticle><MedlineCitation><PMID Version='1'>%d</PMID><Article><ArticleTitle>Invented record %d on "
        b"hepatic spread.</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n" % (i, i)
        for i in range(first, first + n)
    )


def test_a_mid_file_fault_stores_every_complete_record_before_it(
    run_cli: RunCli, engine: Engine, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.xml.gz"
    body = b"<PubmedArticleSet>\n" + _records(1, 30) + b"<PubmedArticle><MedlineCitation><PMID>31</Oops>\n"
    broken.write_bytes(gzip.compress(body + _records(32, 30) + b"</PubmedArticleSet>\n"))
    result = run_cli("import", "--batch-size", "7", str(broken))
    assert result.exit_code == 3
    [line] = [line for line in result.stderr.splitlines() if line.startswith("pdacmine: error")]
    assert f"{broken}, line 32: malformed XML" in line  # the header line, 30 records, then the fault
    assert "all 30 records before it were applied (30 new, 0 updated, 0 unchanged, 0 deleted, 0 failed; " in line
    assert "the last one PMID 30), the file is not marked imported" in line
    assert sorted(articles(engine), key=int) == [str(i) for i in range(1, 31)]
    assert count(engine, ImportedFile) == 0


@pytest.mark.parametrize("version", ["2147483648", "9223372036854775808", "99999999999999999999"])
def test_an_out_of_range_version_is_a_bad_record_and_the_rest_is_stored(
    run_cli: RunCli, engine: Engine, tmp_path: Path, version: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "versions.xml"
    odd = _records(5, 1).replace(b"Version='1'", f"Version='{version}'".encode())
    path.write_bytes(b"<PubmedArticleSet>" + _records(1, 4) + odd + _records(6, 3) + b"</PubmedArticleSet>")
    result = run_cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{path}: 7 new, 0 updated, 0 unchanged, 0 deleted, 1 failed\n"
    assert "Traceback" not in result.stderr and f"skipped record PMID 5: version {version[:20]}" in caplog.text
    assert sorted(articles(engine), key=int) == ["1", "2", "3", "4", "6", "7", "8"]
    with session_scope(engine) as session:
        [error] = session.scalars(select(RecordError)).all()
    assert error.pmid == "5" and "out of range" in error.reason


def test_a_pmid_with_full_width_digits_or_leading_zeros_updates_the_real_one(
    run_cli: RunCli, engine: Engine, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_bytes(b"<PubmedArticleSet>" + _records(39000001, 1) + b"</PubmedArticleSet>")
    twins = _records(39000001, 1).replace(b">39000001<", ">\uff13\uff19\uff10\uff10\uff10\uff10\uff10\uff11<".encode())
    zeros = _records(39000001, 1).replace(b">39000001<", b">0039000001<").replace(b"Version='1'", b"Version='2'")
    second.write_bytes(b"<PubmedArticleSet>" + twins + zeros + b"</PubmedArticleSet>")
    assert run_cli("import", str(first), str(second)).exit_code == 0
    stored = articles(engine)
    assert list(stored) == ["39000001"] and stored["39000001"].version == 2


def test_sigterm_ends_an_import_with_one_line_and_keeps_committed_batches(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    big = tmp_path / "pubmed26n0001.xml.gz"
    big.write_bytes(gzip.compress(b"<PubmedArticleSet>" + _records(1, 150_000) + b"</PubmedArticleSet>", 1))
    command = [sys.executable, "-m", "pdacmine", "--db", db_url, "import", "--batch-size", "200", str(big)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        while count(engine, Article) == 0:
            assert proc.poll() is None and time.monotonic() < deadline, "import did not start in time"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["pdacmine: interrupted; everything committed so far is kept."]
    kept = count(engine, Article)
    assert 200 <= kept < 150_000 and kept % 200 == 0 and count(engine, ImportedFile) == 0


def test_a_file_over_2_gib_is_recorded_as_imported(engine: Engine) -> None:
    from pdacmine.db.articles import imported_file, record_imported_file

    with session_scope(engine) as session:
        record_imported_file(session, "pubmed26n0001.xml", "ab" * 32, 3 * 2**30, StoreCounts(new=5))
    with session_scope(engine) as session:
        row = imported_file(session, "ab" * 32)
        assert row is not None and row.size == 3 * 2**30 and row.new == 5
