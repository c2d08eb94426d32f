"""Record-level screening: decisions, blind dual screening, conflicts, decision files from pdacmine,
ASReview LAB and Rayyan, and the recorded order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.orm import Session

from pdacmine.db.screening_outcomes import final_states
from pdacmine.miner.screening import (
    CONFLICT,
    EXCLUDE,
    IN_PROGRESS,
    INCLUDE,
    MAYBE,
    UNSCREENED,
    Vote,
    final_decision,
    load_reasons,
    parse_decisions,
    rayyan_votes,
)
from pdacmine.models import Article, ScreeningAudit, ScreeningDecision, ScreeningSession
from tests.builders import add_article, add_evidence, decide

RunCli = Callable[..., Result]


@pytest.fixture
def records(engine: Engine) -> None:
    """101 no evidence, 102 low-confidence evidence, 103 accepted evidence, 104 high-confidence evidence."""
    with Session(engine) as s:
        add_article(s, "101", title="A record without evidence", doi="10.1000/ONE")
        add_evidence(s, add_article(s, "102", title="Low confidence record"), confidence=0.3)
        decide(s, add_evidence(s, add_article(s, "103", title="Accepted record"), confidence=0.2), "accepted")
        add_evidence(s, add_article(s, "104", title="High confidence record"), confidence=0.9)
        s.commit()


def _decisions(engine: Engine) -> dict[tuple[str, str], tuple[str, str | None]]:
    with Session(engine) as s:
        rows = s.scalars(select(ScreeningDecision))
        return {(r.pmid, r.reviewer): (r.decision, r.reason) for r in rows}


@pytest.mark.parametrize(
    ("votes", "resolution", "required", "expected"),
    [
        ((), None, 1, UNSCREENED),
        ((Vote("a", INCLUDE),), None, 1, INCLUDE),
        ((Vote("a", INCLUDE),), None, 2, IN_PROGRESS),
        ((Vote("a", INCLUDE), Vote("b", INCLUDE)), None, 2, INCLUDE),
        ((Vote("a", INCLUDE), Vote("b", EXCLUDE, "not-pdac")), None, 2, CONFLICT),
        ((Vote("a", INCLUDE), Vote("b", EXCLUDE, "not-pdac")), Vote("c", EXCLUDE, "other"), 2, EXCLUDE),
        ((Vote("a", MAYBE),), None, 1, MAYBE),
    ],
)
def test_final_decision(votes: tuple[Vote, ...], resolution: Vote | None, required: int, expected: str) -> None:
    assert final_decision(votes, resolution, required).status == expected


def test_agreeing_excludes_keep_the_most_given_reason() -> None:
    votes = [Vote("a", EXCLUDE, "no-metastasis"), Vote("b", EXCLUDE, "not-pdac"), Vote("c", EXCLUDE, "not-pdac")]
    assert final_decision(votes, None, 3).reason == "not-pdac"


def test_reasons_built_in_and_user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built_in = load_reasons()
    keys = built_in.keys()
    assert "not-pdac" in keys and built_in.resolve("1") == keys[0]
    user = tmp_path / "reasons.tsv"
    user.write_text("# ours\nwrong-organ\tMetastasis outside our organs\nanimal-only\tAnimal study only\n")
    monkeypatch.setenv("PDACMINE_EXCLUSION_REASONS", str(user))
    mine = load_reasons()
    assert mine.keys() == ["wrong-organ", "animal-only"]
    assert mine.resolve("Animal study only") == "animal-only"
    with pytest.raises(Exception, match="unknown exclusion reason 'not-pdac'"):
        mine.resolve("not-pdac")


def test_terminal_screening_in_evidence_order(run_cli: RunCli, engine: Engine, records: None) -> None:
    # accepted (103), high confidence (104), low confidence (102), none (101)
    result = run_cli("screen", "--reviewer", "alice", input="i\ne\nnot-pdac\nm\nq\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("Accepted record") < out.index("High confidence record") < out.index("Low confidence record")
    assert _decisions(engine) == {
        ("103", "alice"): (INCLUDE, None),
        ("104", "alice"): (EXCLUDE, "not-pdac"),
        ("102", "alice"): (MAYBE, None),
    }
    with Session(engine) as s:
        session = s.scalars(select(ScreeningSession)).one()
        assert (session.order, session.kind, session.reviewer) == ("evidence", "terminal", "alice")
        assert "accepted" in session.order_description
    again = run_cli("screen", "--reviewer", "alice", input="q\n")
    assert "1 record(s) to screen" in again.output and "A record without evidence" in again.output


def test_undo_and_bad_reason_in_the_loop(run_cli: RunCli, engine: Engine, records: None) -> None:
    result = run_cli("screen", "--reviewer", "alice", input="e\nnonsense\n2\nu\ni\nq\n")
    assert "unknown exclusion reason 'nonsense'" in result.output
    assert _decisions(engine) == {("103", "alice"): (INCLUDE, None)}
    with Session(engine) as s:
        actions = [a.action for a in s.scalars(select(ScreeningAudit).order_by(ScreeningAudit.id))]
    assert actions == ["decide", "undo", "decide"]


def test_dual_blind_screening_conflict_and_resolution(run_cli: RunCli, engine: Engine, records: None) -> None:
    assert run_cli("screen", "--reviewer", "alice", "--dual", "--pmid", "103", input="i\n").exit_code == 0
    # bob's sheet shows the record without alice's decision; no conflict is listed before both decided
    sheet = run_cli("screen", "export", "--reviewer", "bob", "--csv", "-", "--pmid", "103").output
    assert "103" in sheet and "include" not in sheet
    assert run_cli("screen", "conflicts").stdout == ""
    blind = run_cli("screen", "log", "--reviewer", "bob")
    assert "alice" not in blind.stdout and "hidden (blind until both decided)" in blind.stderr
    assert "alice\tdecide" in run_cli("screen", "log", "--reviewer", "alice").stdout
    with Session(engine) as s:
        assert final_states(s)[s.scalar(select(Article.id).where(Article.pmid == "103"))].status == IN_PROGRESS
    run_cli("screen", "--reviewer", "bob", "--pmid", "103", input="e\n1\n")
    listed = run_cli("screen", "conflicts").output
    assert "103" in listed and "alice: include" in listed and "bob: exclude" in listed
    refused = run_cli("screen", "resolve", "103", "include", "--reviewer", "alice")
    assert refused.exit_code == 3 and "third reviewer" in refused.stderr
    ok = run_cli("screen", "resolve", "103", "exclude", "--reason", "no-metastasis", "--reviewer", "carol")
    assert ok.exit_code == 0, ok.stderr
    assert run_cli("screen", "conflicts").stdout == ""
    log = run_cli("screen", "log", "--pmid", "103").output
    assert "carol\tresolve" in log and "alice\tdecide" in log
    status = run_cli("screen", "status").output
    assert "1 exclude" in status and "excluded, no-metastasis: 1" in status


def test_audit_is_append_only(run_cli: RunCli, engine: Engine, records: None) -> None:
    run_cli("screen", "--reviewer", "alice", input="i\nq\n")
    for sql in ("UPDATE screening_audit SET reviewer = 'mallory'", "DELETE FROM screening_audit"):
        with pytest.raises(SADatabaseError), engine.begin() as conn:
            conn.execute(text(sql))


def test_sheet_round_trip_and_validation(run_cli: RunCli, engine: Engine, records: None, tmp_path: Path) -> None:
    path = tmp_path / "alice.csv"
    assert run_cli("screen", "export", "--reviewer", "alice", "--csv", str(path)).exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("pmid,doi,year,title") and len(lines) == 5
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "pmid,decision,reason,note\n101,include,,\n999,include,,\n102,perhaps,,\n103,exclude,,\n104,exclude,wrong,\n"
    )
    result = run_cli("screen", "import", "--reviewer", "alice", str(bad))
    assert result.exit_code == 3
    expected = {3: "unknown record: PMID 999", 4: "unknown decision 'perhaps'", 5: "exclude needs a reason",
                6: "unknown exclusion reason 'wrong'"}  # fmt: skip
    for line, words in expected.items():
        assert f"line {line}: {words}" in result.stderr
    assert _decisions(engine) == {}
    good = tmp_path / "good.csv"
    good.write_text("pmid,decision,reason,note\n101,exclude,not-primary,a review\n102,,,\n104,i,,\n")
    result = run_cli("screen", "import", "--reviewer", "alice", str(good))
    assert result.exit_code == 0, result.stderr
    assert _decisions(engine) == {("101", "alice"): (EXCLUDE, "not-primary"), ("104", "alice"): (INCLUDE, None)}


def test_asreview_labels_import(run_cli: RunCli, engine: Engine, records: None, tmp_path: Path) -> None:
    path = tmp_path / "asreview.csv"
    path.write_text(
        "record_id,title,abstract,pmid,doi,label_included\n0,t,a,103,,1\n1,t,a,,https://doi.org/10.1000/one,0\n"
        "2,t,a,104,,\n3,t,a,102,,-1\n"
    )
    result = run_cli("screen", "import", "--reviewer", "asr", str(path))
    assert result.exit_code == 0, result.stderr
    assert _decisions(engine) == {("103", "asr"): (INCLUDE, None), ("101", "asr"): (EXCLUDE, None)}


def test_rayyan_decisions_import_per_reviewer(run_cli: RunCli, engine: Engine, records: None, tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_text(
        'key,title,notes\n103,t,"RAYYAN-INCLUSION: {""Kim""=>""Included"", ""Lee""=>""Excluded""} | '
        'RAYYAN-EXCLUSION-REASONS: not-pdac"\n104,t,"RAYYAN-INCLUSION: {""Kim""=>""Maybe""}"\n101,t,\n'
    )
    result = run_cli("screen", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _decisions(engine) == {
        ("103", "Kim"): (INCLUDE, None),
        ("103", "Lee"): (EXCLUDE, "not-pdac"),
        ("104", "Kim"): (MAYBE, None),
    }
    assert "103" in run_cli("screen", "conflicts").output


def test_rayyan_notes() -> None:
    notes = 'RAYYAN-INCLUSION: {"A B"=>"Included"} | RAYYAN-EXCLUSION-REASONS: x,y | USER-NOTES: z'
    votes, reasons = rayyan_votes(notes)
    assert votes == [("A B", "Included")] and reasons == ["x", "y"]


def test_unknown_file_format_is_one_problem() -> None:
    rows, problems, _ = parse_decisions(["a,b\n", "1,2\n"], load_reasons())
    assert rows == [] and problems.errors[0][0] == 1 and "cannot tell the format" in problems.errors[0][1]


def test_unreadable_csv_is_a_listed_problem(run_cli: RunCli, records: None, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("pmid,decision,note\n101,include,\n102,include," + "x" * 200_000 + "\n")  # over csv's field limit
    result = run_cli("screen", "import", "--reviewer", "alice", str(path))
    assert result.exit_code == 3 and "not readable as CSV" in result.stderr and "nothing was applied" in result.stderr
