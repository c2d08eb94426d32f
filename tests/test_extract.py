"""``pdacmine extract``: evidence in the database, idempotent, resumable, version-aware."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from pdacmine.db.articles import store_batch
from pdacmine.jobs import extract as extract_module
from pdacmine.jobs.extract import extract_pending
from pdacmine.miner.nlp import digest
from pdacmine.miner.records import ArticleRecord
from pdacmine.models import Article, ArticleExtraction, Evidence
from pdacmine.models.base import utcnow
from tests.test_nlp_pipeline import TEST_VOCAB

ARTICLES = [
    ("201", "ZEB1 drives liver metastasis of pancreatic cancer",
     "RESULTS: Knockdown of ZEB1 reduced lung metastases in KPC mice. ZEB1 drives liver metastasis."),
    ("202", "Hepatic arterial infusion in pancreatic cancer",
     "Hepatic arterial infusion was given for liver metastases of pancreatic cancer."),
    ("203", "Smoking and pancreatic cancer risk", "Smoking raises the risk of pancreatic cancer."),
    ("204", "CXCR4 and lung metastasis in pancreatic cancer", "CXCR4 promotes lung metastasis."),
]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _test_vocabulary(
    tmp_path_factory: pytest.TempPathFactory, user_vocabulary: Callable[[Path], AbstractContextManager[Path]]
) -> Iterator[None]:
    """The CLI's default vocabulary, for this module: shipped files plus TEST_VOCAB as the user's file."""
    path = tmp_path_factory.mktemp("vocab") / "vocab.tsv"
    path.write_text(TEST_VOCAB, encoding="utf-8")
    with user_vocabulary(path):
        yield


def add_articles(engine: Engine, rows: list[tuple[str, str, str]] = ARTICLES) -> None:
    with Session(engine) as session:
        session.add_all(Article(pmid=p, title=t, abstract=a, source="file") for p, t, a in rows)
        session.commit()


def evidence(engine: Engine) -> list[tuple[str, str, str | None, str | None, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Evidence.pmid, Evidence.evidence_key, Evidence.mechanism_key, Evidence.organ, Evidence.therapy_key)
        )
        return sorted(tuple(r) for r in rows)  # type: ignore[misc]


def extractions(engine: Engine) -> dict[str, tuple[str, int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Article.pmid, ArticleExtraction.extractor_version, ArticleExtraction.n_evidence).join(
                ArticleExtraction, ArticleExtraction.article_id == Article.id
            )
        )
        return {pmid: (version, n) for pmid, version, n in rows}


def test_extract_stores_evidence_and_state(engine: Engine, run_cli: Callable[..., Result]) -> None:
    add_articles(engine)
    result = run_cli("extract")
    assert result.exit_code == 0, result.output
    assert "extracted 4 article(s)" in result.stdout
    rows = evidence(engine)
    assert ("201", "zeb1", "liver", None) in [(p, m, o, t) for p, _, m, o, t in rows]
    assert ("202", None, "liver", "hepatic-arterial-infusion") in [(p, m, o, t) for p, _, m, o, t in rows]
    assert not [r for r in rows if r[0] == "203"]
    state = extractions(engine)
    assert set(state) == {"201", "202", "203", "204"}
    assert {v for v, _ in state.values()} == {extract_module.current_extractor_version()}
    with Session(engine) as session:
        doc = session.scalar(select(ArticleExtraction.entities).join(Article).where(Article.pmid == "201"))
        spans = session.scalar(select(Evidence.spans).where(Evidence.pmid == "204"))
    assert "liver" in doc["organs"] and doc["primary"] == "pancreatic"
    assert [s["label"] for s in spans] == ["MECHANISM", "ORGAN"]


def test_extract_is_idempotent_and_all_reruns(engine: Engine, run_cli: Callable[..., Result]) -> None:
    add_articles(engine)
    run_cli("extract")
    before = evidence(engine)
    again = run_cli("extract")
    assert again.exit_code == 0 and "nothing to extract" in again.stdout
    assert evidence(engine) == before
    forced = run_cli("extract", "--all")
    assert "extracted 4 article(s)" in forced.stdout
    assert evidence(engine) == before  # same evidence keys: review decisions survive


def test_version_change_and_updated_article_rerun(
    engine: Engine, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_articles(engine)
    run_cli("extract")
    with Session(engine) as session:
        session.execute(update(Article).where(Article.pmid == "203").values(last_updated=utcnow()))
        session.commit()
    assert "extracted 1 article(s)" in run_cli("extract").stdout
    monkeypatch.setattr(extract_module, "current_extractor_version", lambda: "9.9.9+vnew+rnew")
    assert "extracted 4 article(s)" in run_cli("extract").stdout
    assert {v for v, _ in extractions(engine).values()} == {"9.9.9+vnew+rnew"}


def test_changed_content_from_an_import_is_extracted_again(engine: Engine) -> None:
    """A re-import with new content (a corrected abstract, new MeSH indexing) moves ``last_updated``
    and the next extract re-annotates that article; an identical re-import changes nothing."""
    records = [ArticleRecord(pmid=p, title=t, abstract=a) for p, t, a in ARTICLES]
    with Session(engine) as session:
        store_batch(session, records, "file", "test")
        session.commit()
    assert extract_pending(engine).articles == 4
    with Session(engine) as session:
        assert store_batch(session, records, "file", "test").updated == 0
        session.commit()
    assert extract_pending(engine).articles == 0
    corrected = ArticleRecord(pmid="204", title=ARTICLES[3][1], abstract="CXCR4 promotes liver metastasis.")
    indexed = ArticleRecord(pmid="203", title=ARTICLES[2][1], abstract=ARTICLES[2][2], mesh=[{"descriptor": "Smoking"}])
    with Session(engine) as session:
        assert store_batch(session, [corrected, indexed], "file", "test").updated == 2
        session.commit()
    summary = extract_pending(engine)
    assert summary.articles == 2
    assert ("204", "cxcr4", "liver", None) in [(p, m, o, t) for p, _, m, o, t in evidence(engine)]
    assert ("204", "cxcr4", "lung", None) not in [(p, m, o, t) for p, _, m, o, t in evidence(engine)]
    assert extract_pending(engine).articles == 0


def test_deleted_articles_are_skipped(engine: Engine, run_cli: Callable[..., Result]) -> None:
    add_articles(engine)
    with Session(engine) as session:
        session.execute(update(Article).where(Article.pmid == "201").values(deleted=True))
        session.commit()
    run_cli("extract")
    assert "201" not in extractions(engine)
    assert not [r for r in evidence(engine) if r[0] == "201"]


def test_interruption_keeps_committed_batches(engine: Engine) -> None:
    add_articles(engine)

    def stop_after_first(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract_pending(engine, batch_size=1, on_progress=stop_after_first)
    assert len(extractions(engine)) == 1
    summary = extract_pending(engine, batch_size=1)
    assert summary.articles == 3 and len(extractions(engine)) == 4


def test_repeated_sentence_gives_one_evidence_row(engine: Engine) -> None:
    add_articles(
        engine, [("301", "ZEB1 in pancreatic cancer", "ZEB1 drives liver metastasis. ZEB1 drives liver metastasis.")]
    )
    extract_pending(engine)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 1


def test_workers_store_the_same_evidence(engine: Engine, run_cli: Callable[..., Result]) -> None:
    add_articles(engine)
    run_cli("extract", "--batch-size", "1")
    serial = evidence(engine)
    result = run_cli("extract", "--all", "--workers", "2", "--batch-size", "1")
    assert result.exit_code == 0 and "extracted 4 article(s)" in result.stdout
    assert evidence(engine) == serial


def test_extract_help_has_an_example(run_cli: Callable[..., Result]) -> None:
    result = run_cli("extract", "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_findings_are_ranked_once_per_run_and_catch_up_after_an_interruption(engine: Engine) -> None:
    from pdacmine.models import Finding

    add_articles(engine)
    extract_pending(engine, batch_size=1)
    with Session(engine) as session:
        n_findings = session.scalar(select(func.count()).select_from(Finding))
        unlinked = session.scalar(select(func.count()).select_from(Evidence).where(Evidence.finding_id.is_(None)))
        assert n_findings and unlinked == 0
        # what an interrupted run leaves behind: evidence committed, ranking not yet done
        session.execute(update(Evidence).values(finding_id=None))
        session.query(Finding).delete()
        session.commit()
    summary = extract_pending(engine)  # nothing pending, yet the findings catch up
    assert summary.pending == 0
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Finding)) == n_findings
        assert session.scalar(select(func.count()).select_from(Evidence).where(Evidence.finding_id.is_(None))) == 0


def test_rule_code_and_model_file_are_part_of_the_version() -> None:
    names = {p.name for p in digest.rule_files()}
    assert {"relations.py", "claims.py", "pairing.py", "claim_model.py", "claim_model.json"} <= names


def test_a_changed_rule_source_re_extracts_stored_evidence(
    engine: Engine, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Editing a rule module (here a stand-in file among the digested sources) moves the extractor
    version, so the next ``extract`` annotates every article again; an unchanged one does not."""
    add_articles(engine)
    run_cli("extract")
    rule = tmp_path / "rule.py"
    rule.write_text("WINDOW = 6\n", encoding="utf-8")
    shipped = digest.rule_files()
    monkeypatch.setattr(digest, "rule_files", lambda: [*shipped, rule])
    digest.code_digest.cache_clear()
    try:
        assert "extracted 4 article(s)" in run_cli("extract").stdout
        assert "nothing to extract" in run_cli("extract").stdout
        rule.write_text("WINDOW = 8\n", encoding="utf-8")
        digest.code_digest.cache_clear()
        assert "extracted 4 article(s)" in run_cli("extract").stdout
    finally:
        monkeypatch.undo()
        digest.code_digest.cache_clear()


def failures(engine: Engine) -> dict[str, str | None]:
    with Session(engine) as session:
        rows = session.execute(
            select(Article.pmid, ArticleExtraction.error).join(
                ArticleExtraction, ArticleExtraction.article_id == Article.id
            )
        )
        return {pmid: error for pmid, error in rows}


OVERSIZED = ("299", "An invented abstract far too long", "Liver metastasis of pancreatic cancer. " * 26_000)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_oversized_record_fails_alone_and_the_run_says_which(
    engine: Engine, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    from pdacmine.models import Finding

    add_articles(engine, [*ARTICLES[:2], OVERSIZED, *ARTICLES[2:]])
    result = run_cli("extract", "--workers", workers)
    assert result.exit_code == 3
    assert "extracted 5 article(s)" in result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("pdacmine: error: extraction failed for 1 article(s): PMID 299;")
    state = failures(engine)
    assert set(state) == {"201", "202", "203", "204", "299"}
    assert state["299"] and "over the pipeline's limit" in state["299"] and state["201"] is None
    assert {p for p, *_ in evidence(engine)} == {"201", "202", "204"}
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Finding))  # findings refreshed all the same

    again = run_cli("extract")
    assert again.exit_code == 0 and "nothing to extract" in again.stdout
    monkeypatch.setattr(extract_module, "current_extractor_version", lambda: "9.9.9+vnew+rnew")
    retried = run_cli("extract")
    assert retried.exit_code == 3 and "PMID 299" in retried.stderr and "extracted 5 article(s)" in retried.stdout


def test_a_record_the_pipeline_breaks_on_fails_alone_in_its_batch(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pdacmine.miner import annotate

    real = annotate.doc_to_record

    def brittle(doc: object, pmid: str, publication_types: object = None) -> dict[str, object]:
        if pmid == "202":
            raise RuntimeError("invented fault\nsecond line")
        return real(doc, pmid, publication_types)  # type: ignore[arg-type]

    add_articles(engine)
    monkeypatch.setattr(annotate, "doc_to_record", brittle)
    summary = extract_pending(engine, batch_size=64)
    assert summary.failed == ("202",) and summary.articles == 4
    assert failures(engine)["202"] == "RuntimeError: invented fault"
    assert {p for p, *_ in evidence(engine)} == {"201", "204"}
    error = summary.failure()
    assert error is not None and error.exit_code == 3 and "PMID 202" in str(error) and "\n" not in str(error)


def test_update_exits_3_naming_a_failed_record_after_ranking(engine: Engine, run_cli: Callable[..., Result]) -> None:
    add_articles(engine, [OVERSIZED, *ARTICLES])
    result = run_cli("update", "--no-harvest")
    assert result.exit_code == 3
    assert "rank: " in result.stdout and "PMID 299" in result.stderr
    assert "Traceback" not in result.stderr


def _extract_process(db_url: str, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pdacmine", "--db", db_url, "extract", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ), start_new_session=True
    )


def _wait_for_extractions(engine: Engine, at_least: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while len(extractions(engine)) < at_least:
        assert proc.poll() is None and time.monotonic() < deadline, "extraction did not start in time"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_ctrl_c_or_kill_on_two_workers_is_one_line_and_exit_130(
    engine: Engine, db_url: str, sig: signal.Signals, group: bool
) -> None:
    # enough work that a busy machine cannot finish it between the 8th commit and the signal
    n = 8000
    many = [(str(500_000 + i), t, a) for i in range(n) for (_, t, a) in ARTICLES[i % 4 : i % 4 + 1]]
    add_articles(engine, many)
    proc = _extract_process(db_url, "--workers", "2", "--batch-size", "8")
    try:
        _wait_for_extractions(engine, 8, proc)
        if group:  # a terminal's Ctrl-C reaches every process of the group: the workers too
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["pdacmine: interrupted; everything committed so far is kept."]
    done = len(extractions(engine))
    assert 8 <= done < n and len({p for p, *_ in evidence(engine)}) > 0
