"""Review by spreadsheet: export columns, round trip, every import error (nothing applied), conflicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pdacmine.db.review_decisions import decide
from pdacmine.db.review_queue import load_item
from pdacmine.miner.review_sheet import SHEET_COLUMNS
from pdacmine.models import ReviewAudit, ReviewDecision
from tests.builders import add_article, add_evidence

SPEC_COLUMNS = [
    "evidence_key", "pmid", "year", "sentence", "mechanism", "mechanism_category", "stage", "organ", "therapy",
    "therapy_class", "polarity", "negated", "hedged", "study_type", "confidence", "decision", "corrected_mechanism",
    "corrected_stage", "corrected_organ", "corrected_therapy", "note",
]  # fmt: skip


@pytest.fixture
def keys(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr("pdacmine.cli.review.refresh_rankings", lambda _e, _ids: True)
    out = []
    with Session(engine) as s:
        for i in range(4):
            art = add_article(s, f"20{i}", year=2010 + i)
            ev = add_evidence(s, art, confidence=0.9 - i / 10, sentence=f"ZEB1 promotes hepatic colonisation ({i}).")
            out.append(ev.evidence_key)
        s.commit()
    return out


def _export(run_cli: Callable[..., Result], tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    path = tmp_path / "sheet.csv"
    result = run_cli("review", "export", "--csv", str(path), *args)
    assert result.exit_code == 0, result.stderr
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=columns or list(SHEET_COLUMNS), delimiter=delimiter, extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(ReviewDecision)) or 0, s.scalar(
            select(func.count()).select_from(ReviewAudit)
        ) or 0


def test_export_columns_order_and_bom(run_cli: Callable[..., Result], tmp_path: Path, keys: list[str]) -> None:
    rows = _export(run_cli, tmp_path, "--bom")
    assert (tmp_path / "sheet.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(rows[0])[: len(SPEC_COLUMNS)] == SPEC_COLUMNS
    assert [r["evidence_key"] for r in rows] == keys  # ranked by confidence here
    first = rows[0]
    assert (first["pmid"], first["year"], first["organ"], first["mechanism"]) == ("200", "2010", "liver", "zeb1")
    assert (first["negated"], first["decision"], first["revision"]) == ("no", "", "0")
    assert [r["pmid"] for r in _export(run_cli, tmp_path, "--pmid", "202")] == ["202"]


def test_export_to_a_path_that_cannot_be_written_is_one_line_error(
    run_cli: Callable[..., Result], tmp_path: Path, keys: list[str]
) -> None:
    result = run_cli("review", "export", "--csv", str(tmp_path / "no-such-dir" / "sheet.csv"))
    assert result.exit_code == 3
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        f"pdacmine: error: cannot write {tmp_path / 'no-such-dir' / 'sheet.csv'}: No such file or directory"
    ]


def test_round_trip_applies_everything_in_one_go(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    rows = list(_export(run_cli, tmp_path))
    rows[0].update(decision="accept", note="=clear in figure 3")
    rows[1].update(decision="Reject")
    rows[2].update(corrected_organ="pulmonary", corrected_stage="metastatic outgrowth", corrected_therapy="Gemzar")
    rows[3].update(note="")  # nothing to do: ignored
    path = _write(tmp_path / "done.csv", rows)
    result = run_cli("review", "import", str(path), "--reviewer", "bob")
    assert result.exit_code == 0, result.stderr
    assert "applied as bob: 1 accept, 1 correct, 1 reject; 0 unchanged, 1 row(s) without a decision ignored" in (
        result.output
    )
    with Session(engine) as s:
        assert load_item(s, keys[0]).decision.note == "=clear in figure 3"
        assert load_item(s, keys[1]).decision.status == "rejected"
        corrected = load_item(s, keys[2])
        assert corrected.decision.status == "accepted" and corrected.decision.reviewer == "bob"
        assert corrected.effective["organ"] == "lung" and corrected.effective["stage"] == "colonization"
        assert corrected.effective["therapy_class"] == "chemotherapy"
        assert load_item(s, keys[3]).decision.status is None
    # the formula-looking note is exported guarded, the decisions come back; re-importing changes nothing
    again = _export(run_cli, tmp_path, "--all")
    assert again[0]["note"] == "'=clear in figure 3" and again[2]["corrected_organ"] == "lung"
    assert {r["decision"] for r in again} == {"accept", "reject", ""}
    before = _counts(engine)
    rerun = run_cli("review", "import", str(_write(tmp_path / "again.csv", list(again))))
    assert "applied as" in rerun.output and "nothing; 3 unchanged" in rerun.output
    stale_file = run_cli("review", "import", str(path))  # the first file again (revision 0 rows): no change
    assert stale_file.exit_code == 0 and _counts(engine) == before


def test_notes_that_look_like_formulas_round_trip_exactly(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    notes = ["'=quoted by the reviewer", "@mention", "'plain with a quote", "-2+3"]
    for key, note in zip(keys, notes, strict=True):
        decide(engine, key, "note", reviewer="ann", expected_revision=0, note=note)
    rows = _export(run_cli, tmp_path, "--all")
    assert not [r["note"] for r in rows if r["note"].startswith(("=", "@", "-"))]  # guarded in the file
    for row in rows:
        row["decision"] = "reject"
    result = run_cli("review", "import", str(_write(tmp_path / "notes.csv", rows)))
    assert result.exit_code == 0, result.stderr
    with Session(engine) as s:
        states = [load_item(s, k).decision for k in keys]
    assert [d.status for d in states] == ["rejected"] * 4
    assert [d.note for d in states] == notes  # the reviewer's text, exactly


def test_every_error_is_listed_and_nothing_is_applied(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    rows: list[dict[str, Any]] = [
        {"evidence_key": keys[0], "decision": "accept"},  # fine, but must not be applied
        {"evidence_key": "f" * 40, "decision": "accept"},  # line 3: unknown key
        {"evidence_key": keys[1], "decision": "maybe"},  # line 4: bad decision
        {"evidence_key": keys[2], "decision": "", "corrected_organ": "livr"},  # line 5: unknown concept
        {"evidence_key": keys[0], "decision": "reject"},  # line 6: duplicate key
        {"evidence_key": keys[3], "decision": "accept", "revision": "two"},  # line 7: bad revision
        {"evidence_key": keys[3], "decision": "a", "corrected_polarity": "up"},  # line 8: bad polarity + duplicate
    ]
    result = run_cli("review", "import", str(_write(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 3
    err = result.stderr
    for line, reason in [
        (3, "unknown evidence_key ffff"),
        (4, "decision 'maybe' is not accept, reject or empty"),
        (5, "corrected_organ: unknown organ 'livr'; did you mean liver"),
        (6, f"evidence_key {keys[0]} repeats line 2"),
        (7, "revision 'two' is not a whole number"),
        (8, "corrected_polarity: unknown polarity 'up'"),
        (8, f"evidence_key {keys[3]} repeats line 7"),
    ]:
        assert f"bad.csv, line {line}: {reason}" in err, err
    assert "nothing was applied" in err.splitlines()[-1]
    assert _counts(engine) == (0, 0)


def test_missing_columns_wrong_encoding_and_error_cap(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    no_decision = _write(tmp_path / "cols.csv", [{"evidence_key": keys[0]}], columns=["evidence_key", "note"])
    result = run_cli("review", "import", str(no_decision))
    assert result.exit_code == 3 and "line 1: missing column(s) decision" in result.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"evidence_key,decision,note\n{keys[0]},accept,caf\xe9\n".encode("latin-1"))
    result = run_cli("review", "import", str(latin))
    assert result.exit_code == 3 and "not UTF-8" in result.stderr
    many = _write(tmp_path / "many.csv", [{"evidence_key": f"{i:040x}", "decision": "accept"} for i in range(25)])
    result = run_cli("review", "import", str(many))
    assert result.exit_code == 3 and "... and 5 more" in result.stderr and "25 problem(s)" in result.stderr
    assert _counts(engine) == (0, 0)


def test_excel_semicolon_file_with_bom_and_dry_run(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(f'\ufeffEvidence_Key;Decision;Note\r\n{keys[1]};REJECT;"not PDAC; a cell line"\r\n'.encode())
    dry = run_cli("review", "import", "--dry-run", str(path))
    assert dry.exit_code == 0 and "would apply: 1 reject" in dry.output
    assert _counts(engine) == (0, 0)
    assert run_cli("review", "import", str(path)).exit_code == 0
    with Session(engine) as s:
        state = load_item(s, keys[1]).decision
    assert (state.status, state.note) == ("rejected", "not PDAC; a cell line")


def test_decision_made_after_export_is_a_conflict(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    rows = list(_export(run_cli, tmp_path))
    decide(engine, keys[0], "reject", reviewer="carol", expected_revision=0)
    rows[0].update(decision="accept")
    rows[1].update(decision="accept")
    result = run_cli("review", "import", str(_write(tmp_path / "late.csv", rows)))
    assert result.exit_code == 7
    assert "1 row(s) were changed by someone else" in result.stderr and "by carol" in result.stderr
    with Session(engine) as s:
        assert load_item(s, keys[0]).decision.status == "rejected"
        assert load_item(s, keys[1]).decision.status is None  # nothing applied
    assert _counts(engine) == (1, 1)


def test_export_to_stdout_includes_reviewed_with_all(
    run_cli: Callable[..., Result], engine: Engine, keys: list[str]
) -> None:
    decide(engine, keys[0], "correct", reviewer="ann", expected_revision=0, corrections={"organ": None})
    unreviewed = list(csv.DictReader(io.StringIO(run_cli("review", "export", "--csv", "-").output)))
    assert keys[0] not in [r["evidence_key"] for r in unreviewed] and len(unreviewed) == 3
    every = list(csv.DictReader(io.StringIO(run_cli("review", "export", "--csv", "-", "--all").output)))
    mine = next(r for r in every if r["evidence_key"] == keys[0])
    assert (mine["decision"], mine["corrected_organ"], mine["revision"]) == ("accept", "none", "1")
    decide(engine, keys[1], "reject", reviewer="ann", expected_revision=0)
    filtered = run_cli("review", "export", "--csv", "-", "--all", "--pmid", "201", "--pmid", "202").output
    assert [r["decision"] for r in csv.DictReader(io.StringIO(filtered))] == ["reject", ""]


def test_a_sheet_without_revisions_does_not_overwrite_other_reviewers(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    decide(engine, keys[0], "reject", reviewer="carol", expected_revision=0)
    rows = [{"evidence_key": k, "decision": "accept"} for k in keys[:2]]
    path = _write(tmp_path / "bare.csv", rows, columns=["evidence_key", "decision"])
    result = run_cli("review", "import", str(path), "--reviewer", "dan")
    assert result.exit_code == 7 and "by carol, the row has no revision" in result.stderr
    assert "--force" in result.stderr
    with Session(engine) as s:
        assert [load_item(s, k).decision.status for k in keys[:2]] == ["rejected", None]  # nothing applied
    forced = run_cli("review", "import", str(path), "--reviewer", "dan", "--force")
    assert forced.exit_code == 0, forced.stderr
    with Session(engine) as s:
        assert [load_item(s, k).decision.status for k in keys[:2]] == ["accepted", "accepted"]


@pytest.mark.parametrize("odd", ["\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x0b", "\r\n", "\r"])
def test_a_quoted_cell_with_a_line_separator_stays_one_cell(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str], odd: str
) -> None:
    note = f"page 3{odd}figure 2"
    path = _write(tmp_path / "odd.csv", [{"evidence_key": keys[0], "decision": "accept", "note": note},
                                         {"evidence_key": keys[1], "decision": "reject"}])  # fmt: skip
    result = run_cli("review", "import", str(path))
    assert result.exit_code == 0, result.stderr
    with Session(engine) as s:
        assert load_item(s, keys[0]).decision.note == note
        assert load_item(s, keys[1]).decision.status == "rejected"


def test_a_cell_over_the_csv_limit_is_one_problem_line(
    run_cli: Callable[..., Result], engine: Engine, tmp_path: Path, keys: list[str]
) -> None:
    path = _write(tmp_path / "big.csv", [{"evidence_key": keys[0], "decision": "accept", "note": "x" * 200_000}])
    result = run_cli("review", "import", str(path))
    assert result.exit_code == 3
    assert "line 2: a cell is longer than 131,072 characters" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 2
    assert _counts(engine) == (0, 0)
