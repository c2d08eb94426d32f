"""Exports read back the way the receiving tools read them: ASReview LAB's own CSV and RIS readers (the
test extra installs asreview) and its documented column rules, rispy for RIS, and our own decision import
for labels coming back."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rispy
from click.testing import Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.models import ScreeningDecision
from tests.builders import add_article, screen

RunCli = Callable[..., Result]

#: ASReview LAB (asreview.data.base.BaseReader): label columns in order of preference, lists split on ";".
ASREVIEW_LABEL_COLUMNS = ("asreview_label", "included", "label", "final_included", "label_included")
#: ASReview's RIS reader: labels in N1 notes.
ASREVIEW_NOTE = re.compile(r"\bASReview_\w+\b")
ASREVIEW_NOTE_LABEL = {"ASReview_relevant": 1, "ASReview_irrelevant": 0, "ASReview_not_seen": None}

RECORDS = {
    "401": {"title": 'Naïve "quoted", title; with a semicolon', "abstract": "First, with a comma.", "year": 2021,
            "doi": "10.1000/r.401", "decision": ("include", None), "label": 1},
    "402": {"title": "Second record", "abstract": "Another abstract.", "year": 2019, "doi": "10.1000/r.402",
            "decision": ("exclude", "not-pdac"), "label": 0},
    "403": {"title": "Third record without DOI", "abstract": "Third abstract.", "year": None, "doi": None,
            "decision": None, "label": None},
}  # fmt: skip


@pytest.fixture
def screened(engine: Engine) -> None:
    with Session(engine) as s:
        for pmid, r in RECORDS.items():
            art = add_article(s, pmid, title=r["title"], abstract=r["abstract"], year=r["year"], doi=r["doi"],
                              authors=[{"last": "Curie", "fore": "Marie"}, {"collective": "PDAC Group"}])  # fmt: skip
            if r["decision"]:
                screen(s, art, *r["decision"])
        s.commit()


def asreview_read_csv(raw: bytes) -> list[dict[str, Any]]:
    """ASReview's documented CSV rules: UTF-8 (a BOM stays part of the first column name), column names as
    written, the first label column found, authors/keywords split on ';', year as int."""
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    out = []
    for row in rows:
        label_col = next(c for c in ASREVIEW_LABEL_COLUMNS if c in row)
        out.append({
            "title": row.get("title") or None, "abstract": row.get("abstract") or None,
            "authors": row["authors"].split(";") if row.get("authors") else [],
            "year": int(row["year"]) if row.get("year") else None, "doi": row.get("doi") or None,
            "pmid": row.get("pmid"), "included": int(row[label_col]) if row[label_col] != "" else None,
        })  # fmt: skip
    return out


def test_asreview_csv_round_trip(run_cli: RunCli, screened: None, tmp_path: Path) -> None:
    path = tmp_path / "asreview.csv"
    result = run_cli("export", "articles", "--format", "asreview-csv", "--bom", "-o", str(path))
    assert result.exit_code == 0 and "--bom ignored" in result.stderr
    raw = path.read_bytes()
    assert raw.startswith(b"title,"), "no BOM: ASReview would read the first column as '\\ufefftitle'"
    records = {r["pmid"]: r for r in asreview_read_csv(raw)}
    assert set(records) == set(RECORDS)
    for pmid, expected in RECORDS.items():
        got = records[pmid]
        assert (got["title"], got["abstract"], got["year"], got["doi"], got["included"]) == (
            expected["title"], expected["abstract"], expected["year"], expected["doi"], expected["label"])  # fmt: skip
        assert got["authors"] == ["Curie, Marie", "PDAC Group"]


def test_ris_round_trip_through_rispy_with_asreview_labels(run_cli: RunCli, screened: None) -> None:
    entries = {e["accession_number"]: e for e in rispy.loads(run_cli("export", "articles", "--format", "ris").stdout)}
    assert set(entries) == set(RECORDS)
    for pmid, expected in RECORDS.items():
        e = entries[pmid]
        assert (e["title"], e["abstract"], e.get("doi")) == (expected["title"], expected["abstract"], expected["doi"])
        assert e.get("year") == (str(expected["year"]) if expected["year"] else None)
        labels = [m for note in e["notes"] for m in ASREVIEW_NOTE.findall(note)]
        assert [ASREVIEW_NOTE_LABEL[x] for x in labels] == [expected["label"]]


def test_asreview_labels_come_back_as_decisions(
    run_cli: RunCli, screened: None, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "asreview.csv"
    run_cli("export", "articles", "--format", "asreview-csv", "-o", str(path))
    result = run_cli("screen", "import", "--reviewer", "asreview-lab", str(path))
    assert result.exit_code == 0, result.stderr
    with Session(engine) as s:
        back = {d.pmid: d.decision for d in s.scalars(select(ScreeningDecision).where(
            ScreeningDecision.reviewer == "asreview-lab"))}  # fmt: skip
    assert back == {p: r["decision"][0] for p, r in RECORDS.items() if r["decision"]}


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_no_bom_in_json(run_cli: RunCli, screened: None, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"articles.{fmt}"
    result = run_cli("export", "articles", "--format", fmt, "--bom", "-o", str(path))
    assert result.exit_code == 0 and f"--bom ignored for --format {fmt}" in result.stderr
    text = path.read_text(encoding="utf-8")
    rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert {r["pmid"] for r in rows} == set(RECORDS)


def test_bom_still_written_for_csv(run_cli: RunCli, screened: None, tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    assert run_cli("export", "articles", "--bom", "-o", str(path)).exit_code == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("fmt", ["asreview-csv", "ris"])
def test_asreview_own_readers_load_every_record(run_cli: RunCli, screened: None, tmp_path: Path, fmt: str) -> None:
    """ASReview LAB's own readers (the test extra installs asreview) load title, abstract, DOI, year and label
    of every record from our export, as a review team's ASReview would."""
    from asreview.data import CSVReader, RISReader

    path = tmp_path / ("export.csv" if fmt == "asreview-csv" else "export.ris")
    result = run_cli("export", "articles", "--format", fmt, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    reader = CSVReader if fmt == "asreview-csv" else RISReader
    loaded = {r.title: r for r in reader.read_records(path, dataset_id="pdacmine")}
    assert set(loaded) == {r["title"] for r in RECORDS.values()}
    for expected in RECORDS.values():
        got = loaded[expected["title"]]
        label = None if got.included is None or got.included != got.included else int(got.included)  # NaN: unseen
        assert (got.abstract, got.doi or None, got.year, label) == (
            expected["abstract"], expected["doi"], expected["year"], expected["label"])  # fmt: skip
