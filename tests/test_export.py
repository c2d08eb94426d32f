"""pdacmine export: every format parsed back (csv module, json, rispy), tool-specific columns, files, BOM."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rispy
from click.testing import Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.db.findings import refresh_findings
from pdacmine.db.review_decisions import decide as review_decide
from pdacmine.db.review_queue import load_item
from pdacmine.miner.export import (
    ASREVIEW_COLUMNS,
    RAYYAN_COLUMNS,
    cell,
    guard_cell,
    ris_lines,
    split_pages,
    unguard_cell,
    write_csv,
    write_json,
    write_ris,
    write_tsv,
)
from pdacmine.models import Evidence
from tests.builders import add_article, add_evidence, add_search, decide, screen, secondary

RunCli = Callable[..., Result]

TRICKY = 'Granulin, "the" driver;\nof liver\tmetastasis — naïve'


@pytest.fixture
def corpus(engine: Engine) -> None:
    with Session(engine) as s:
        a1 = add_article(
            s, "201", year=2022, title=TRICKY, abstract="Line one.\nLine two, with a comma.",
            mesh=[secondary("D008113", "Liver Neoplasms"),
                  {"ui": "D010190", "name": "Pancreatic Neoplasms", "qualifiers": []}],
            authors=[{"last": "Curie", "fore": "Marie", "initials": "M"}, {"collective": "PDAC Study Group"}],
            doi="10.1000/x.201", volume="12", issue="3", pages="1123-45", issn="1234-5678",
            journal_iso="J Pancreat Res", keywords=["granulin", "macrophage"], language="eng",
        )  # fmt: skip
        a2 = add_article(s, "202", year=2018, pages="e0123")
        add_article(s, "203", year=2019)  # extracted, no evidence, nobody screened it
        e1 = add_evidence(s, a1, mechanism="grn", category="myeloid-immunosuppression", sentence=TRICKY)
        e2 = add_evidence(s, a2, organ="lung")
        decide(s, e1, "accepted", note="clear claim")
        decide(s, e2, "rejected")
        screen(s, a1, "include")
        screen(s, a2, "exclude", "not-pdac")
        refresh_findings(s)
        add_search(s, "pdac", ["201", "202", "203"])
        s.commit()


def out(result: Result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_evidence_csv_is_the_extraction_table(run_cli: RunCli, corpus: None) -> None:
    rows = list(csv.DictReader(io.StringIO(out(run_cli("export", "evidence", "--status", "all")))))
    assert len(rows) == 2
    first = next(r for r in rows if r["pmid"] == "201")
    assert first["evidence_sentence"] == TRICKY  # commas, quotes, newline, tab, non-ASCII survive
    assert (first["metastatic_site"], first["metastatic_site_mesh"], first["mechanism_category"]) == (
        "liver", "D008113", "myeloid-immunosuppression")  # fmt: skip
    assert (first["review_status"], first["review_note"], first["doi"]) == ("accepted", "clear claim", "10.1000/x.201")
    default = list(csv.DictReader(io.StringIO(out(run_cli("export", "evidence")))))
    assert [r["pmid"] for r in default] == ["201"]  # rejected evidence only on request


@pytest.mark.parametrize("level", ["findings", "evidence", "articles"])
@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_every_level_and_format_parses_back(run_cli: RunCli, corpus: None, level: str, fmt: str) -> None:
    text = out(run_cli("export", level, "--format", fmt, "--status", "all"))
    if fmt == "json":
        rows = json.loads(text)
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))
    expected = {"findings": 2, "evidence": 2, "articles": 3}[level]
    assert len(rows) == expected
    if level == "articles":
        by_pmid = {r["pmid"]: r for r in rows}
        assert by_pmid["201"]["screening"] == "include" and by_pmid["202"]["screening"] == "exclude"
        assert by_pmid["202"]["exclusion_reason"] == "not-pdac" and by_pmid["203"]["screening"] == "unscreened"
        mesh = by_pmid["201"]["mesh"]
        assert "Liver Neoplasms/secondary" in (mesh if isinstance(mesh, list) else mesh.split("; "))


def test_ris_round_trips_through_rispy(run_cli: RunCli, corpus: None) -> None:
    result = run_cli("export", "articles", "--format", "ris")
    text = out(result)
    entries = rispy.loads(text)
    assert [e["accession_number"] for e in entries] == ["201", "202", "203"]
    e = entries[0]
    assert e["type_of_reference"] == "JOUR" and e["title"] == " ".join(TRICKY.split())
    assert e["authors"] == ["Curie, Marie", "PDAC Study Group"]
    assert (e["start_page"], e["end_page"], e["volume"], e["number"]) == ("1123", "1145", "12", "3")
    assert e["doi"] == "10.1000/x.201" and e["year"] == "2022" and e["journal_name"] == e["secondary_title"]
    assert e["keywords"] == ["Liver Neoplasms/secondary", "Pancreatic Neoplasms", "granulin", "macrophage"]
    assert e["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/201/"] and e["name_of_database"] == "PubMed"
    assert e["abstract"] == "Line one. Line two, with a comma." and e["notes"][0] == "ASReview_relevant"
    assert entries[1]["notes"][:2] == ["ASReview_irrelevant", 'RAYYAN-INCLUSION: {"pdacmine"=>"Excluded"} | '
                                       "RAYYAN-EXCLUSION-REASONS: not-pdac"]  # fmt: skip
    assert entries[2]["notes"][0] == "ASReview_not_seen"
    assert entries[1]["start_page"] == "e0123" and "end_page" not in entries[1]
    assert text.count("ER  - ") == 3 and b"ER  - \r\n" in result.stdout_bytes  # RIS lines end in CRLF


def test_ris_writer_and_reader_agree_on_every_tag() -> None:
    article = {"pmid": "1", "title": "T", "authors": ["A, B"], "year": 2020, "pages": "5-9", "mesh": ["M/q"]}
    buf = io.StringIO()
    assert write_ris([article, {**article, "pmid": "2"}], buf) == 2
    back = rispy.loads(buf.getvalue())
    assert len(back) == 2 and back[1]["accession_number"] == "2"
    tags = [t for t, _ in ris_lines(article)]
    assert tags[0] == "TY" and tags[-1] == "ER" and tags.count("AU") == 1


def test_rayyan_and_asreview_csv_have_exactly_their_columns(run_cli: RunCli, corpus: None) -> None:
    rayyan = list(csv.DictReader(io.StringIO(out(run_cli("export", "articles", "--format", "rayyan-csv")))))
    assert tuple(rayyan[0]) == RAYYAN_COLUMNS
    assert rayyan[0]["key"] == "201" and rayyan[0]["authors"] == "Curie, Marie; PDAC Study Group"
    asr = list(csv.DictReader(io.StringIO(out(run_cli("export", "articles", "--format", "asreview-csv")))))
    assert tuple(asr[0]) == ASREVIEW_COLUMNS
    assert [r["included"] for r in asr] == ["1", "0", ""]  # included, excluded, not screened
    assert [r["pmid"] for r in asr] == ["201", "202", "203"] and asr[0]["year"] == "2022"


def test_filters_apply_to_exports(run_cli: RunCli, corpus: None) -> None:
    rows = list(csv.DictReader(io.StringIO(out(run_cli("export", "articles", "--organ", "hepatic")))))
    assert [r["pmid"] for r in rows] == ["201"]
    rows = list(csv.DictReader(io.StringIO(out(run_cli("export", "findings", "--mechanism", "granulin")))))
    assert [r["finding_key"] for r in rows] == ["grn|-|liver|-"]
    bad = run_cli("export", "evidence", "--organ", "hepatc")
    assert bad.exit_code == 3 and "did you mean" in bad.stderr


def test_output_file_bom_and_atomic_replace(run_cli: RunCli, corpus: None, tmp_path: Path) -> None:
    target = tmp_path / "evidence.csv"
    result = run_cli("export", "evidence", "-o", str(target), "--bom")
    assert result.exit_code == 0 and "wrote 1 evidence row to" in result.stderr and result.stdout == ""
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert next(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))["pmid"] == "201"
    assert not list(tmp_path.glob("*.partial"))
    target.write_text("previous export")
    failed = run_cli("export", "evidence", "-o", str(target), "--organ", "nowhere-organ")
    assert failed.exit_code == 3 and target.read_text() == "previous export"
    missing = run_cli("export", "evidence", "-o", str(tmp_path / "no" / "dir" / "x.csv"))
    assert missing.exit_code == 3 and "cannot write" in missing.stderr


def test_export_searches_is_the_search_log(run_cli: RunCli, corpus: None) -> None:
    rows = list(csv.DictReader(io.StringIO(out(run_cli("export", "searches")))))
    assert len(rows) == 1 and rows[0]["query_name"] == "pdac" and rows[0]["pmids_recorded"] == "3"
    assert rows[0]["query_sent"] == "pdac[tiab]"
    same = out(run_cli("prisma", "--search-log"))
    assert list(csv.DictReader(io.StringIO(same))) == rows


def test_pure_writers() -> None:
    rows: list[dict[str, Any]] = [
        {"a": 1, "b": ["x", "y"], "c": None, "d": True},
        {"a": "t\tab", "b": [], "c": {"k": 1}},
    ]
    buf = io.StringIO()
    assert write_tsv(rows, ("a", "b", "c", "d"), buf) == 2
    assert buf.getvalue().splitlines() == ["a\tb\tc\td", "1\tx; y\t\ttrue", 't ab\t\t{"k": 1}\t']
    buf = io.StringIO()
    write_csv(rows, ("a", "b"), buf)
    assert list(csv.reader(io.StringIO(buf.getvalue())))[2] == ["t\tab", ""]
    buf = io.StringIO()
    assert write_json([], ("a",), buf) == 0 and json.loads(buf.getvalue()) == []
    assert cell([{"k": 1}]) == '[{"k": 1}]' and cell(False) == "false"


@pytest.mark.parametrize(
    ("pages", "expected"),
    [("123-45", ("123", "145")), ("1123-1130", ("1123", "1130")), ("e0123", ("e0123", None)),
     ("S12-S15", ("S12", "S15")), ("45", ("45", None)), (None, (None, None)), ("12-4, 20", ("12", "14")),
     ("iii-iv", ("iii-iv", None))],
)  # fmt: skip
def test_split_pages_expands_medline_ranges(pages: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_pages(pages) == expected


def test_export_help_has_examples(run_cli: RunCli) -> None:
    for args in (("export", "findings"), ("export", "evidence"), ("export", "articles"), ("export", "searches"),
                 ("prisma",), ("query",), ("rank",), ("update",)):  # fmt: skip
        result = run_cli(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout, args


# --- CSV formula injection (OWASP): every spreadsheet-bound cell is guarded -----------------------------

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\uff1dHYPERLINK()", "'=already quoted"]


@pytest.mark.parametrize("text", [*FORMULAS, "-1.5", "plain", "'plain", "", "'", "''=x"])
def test_guard_is_owasp_and_exactly_reversible(text: str) -> None:
    guarded = guard_cell(text)
    dangerous = text.lstrip("'").startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")) and text != "-1.5"
    assert guarded == ("'" + text if dangerous else text)
    assert unguard_cell(guarded) == text


@pytest.fixture
def poisoned(engine: Engine) -> None:
    with Session(engine) as s:
        art = add_article(s, "301", title="=HYPERLINK(\"http://x\")", abstract="+1 abstract",
                          authors=[{"last": "@evil", "fore": "A", "initials": "A"}], doi="-10.1/x")  # fmt: skip
        ev = add_evidence(s, art, mechanism="=grn", sentence="=cmd|' /C calc'!A0 drives liver metastasis.")
        decide(s, ev, "accepted", note="-2+3")
        refresh_findings(s)
        s.commit()


def _cells(text: str, delimiter: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]


@pytest.mark.parametrize(
    ("args", "delimiter"),
    [
        (("export", "articles", "--format", "csv"), ","),
        (("export", "articles", "--format", "tsv"), "\t"),
        (("export", "articles", "--format", "rayyan-csv"), ","),
        (("export", "articles", "--format", "asreview-csv"), ","),
        (("export", "evidence", "--format", "csv"), ","),
        (("export", "evidence", "--format", "tsv"), "\t"),
        (("export", "findings", "--format", "csv"), ","),
        (("query", "--evidence", "--format", "csv"), ","),
        (("query", "--evidence", "--format", "tsv"), "\t"),
        (("review", "log", "--format", "csv"), ","),
        (("review", "export", "--all", "--csv", "-"), ","),
    ],
)
def test_no_spreadsheet_cell_starts_a_formula(
    run_cli: RunCli, engine: Engine, poisoned: None, args: tuple[str, ...], delimiter: str
) -> None:
    if args[:2] == ("review", "log"):  # an audit entry whose reviewer and note look like formulas
        with Session(engine) as s:
            item = load_item(s, s.scalars(select(Evidence.evidence_key)).one())
        review_decide(engine, item.evidence_key, "reject", reviewer="=evil", expected_revision=item.decision.revision,
                      note="=1+1")  # fmt: skip
    cells = _cells(out(run_cli(*args)), delimiter)
    assert len(cells) > 5
    assert [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
    assert any(c.startswith("'") for c in cells)  # guarded, not dropped


# --- -o PATH: symlinks, pipes, devices, write errors ------------------------------------------------


def test_output_through_a_symlink_writes_its_target(run_cli: RunCli, corpus: None, tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run_cli("export", "findings", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "finding_key" in target.read_text().splitlines()[0]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file keeps its permissions
    assert not list(tmp_path.glob("*.partial"))


def _drain(source: int | Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(source, "rb") as fh:  # a named pipe opens when the writer does
            into.append(fh.read())

    thread = threading.Thread(target=read)
    thread.start()
    return thread


def test_output_streams_into_a_named_pipe_and_a_process_substitution(
    run_cli: RunCli, corpus: None, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _drain(fifo, got)
    result = run_cli("export", "evidence", "--status", "all", "-o", str(fifo))
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a pipe, not replaced by a file
    assert len(list(csv.DictReader(io.StringIO(got[0].decode())))) == 2
    # what bash's >(gzip > x.gz) hands over: /dev/fd/N, the write end of a pipe
    read_end, write_end = os.pipe()
    got.clear()
    thread = _drain(read_end, got)
    try:
        result = run_cli("export", "articles", "--format", "ris", "-o", f"/dev/fd/{write_end}")
    finally:
        os.close(write_end)
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert got[0].count(b"ER  - ") == 3 and "wrote 3 articles to /dev/fd/" in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", [("export", "evidence"), ("prisma",), ("review", "export", "--csv")])
def test_a_full_device_is_one_line_exit_3(run_cli: RunCli, corpus: None, command: tuple[str, ...]) -> None:
    args = [*command, "/dev/full"] if command[-1] == "--csv" else [*command, "-o", "/dev/full"]
    result = run_cli(*args)
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == ["pdacmine: error: cannot write /dev/full: No space left on device"]
    assert Path("/dev/full").is_char_device()


def test_prisma_says_what_it_wrote_and_one_is_singular(run_cli: RunCli, corpus: None, tmp_path: Path) -> None:
    result = run_cli("prisma", "-o", str(tmp_path / "prisma.csv"))
    assert result.exit_code == 0 and (tmp_path / "prisma.csv").exists()
    assert "wrote the PRISMA 2020 flow counts (3 records identified" in result.stderr
    one = run_cli("export", "articles", "--pmid", "202", "-o", str(tmp_path / "one.ris"), "--format", "ris")
    assert "wrote 1 article to" in one.stderr


def test_a_regular_file_is_replaced_wherever_it_is(
    run_cli: RunCli, corpus: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A regular file is replaced, not appended to, also under /dev/shm; /dev/stdout is written in place."""
    shm = Path("/dev/shm")
    target = (shm if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path) / f"pdacmine-{os.getpid()}.csv"
    try:
        for _ in range(2):
            assert run_cli("export", "findings", "-o", str(target)).exit_code == 0
        assert target.read_text().count("finding_key") == 1
    finally:
        target.unlink(missing_ok=True)
    capfd.readouterr()
    assert run_cli("export", "findings", "-o", "/dev/stdout").exit_code == 0  # the process's real stdout
    assert capfd.readouterr().out.startswith("rank,finding_id,finding_key")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_stdout_on_a_full_disk_or_a_closed_pipe(db_url: str, corpus: None) -> None:
    """`> /dev/full`: one line, exit 3, whichever way the command prints; `| head`: a quiet stop."""
    base = [sys.executable, "-m", "pdacmine", "--db", db_url]
    for args in (["query", "--evidence", "--format", "csv", "--status", "all"], ["searches", "--format", "json"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([*base, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert done.returncode == 3, done.stderr
        assert done.stderr.splitlines() == [done.stderr.strip()] and "No space left on device" in done.stderr
    reader = subprocess.Popen(
        [*base, "export", "articles", "--format", "jsonl", "--status", "all"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader went away before reading anything, like `| head -c 0`
    assert reader.wait(timeout=120) == 0
    assert reader.stderr.read() == b""
