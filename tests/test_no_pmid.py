"""Records without a PMID, end to end: an RIS export (records with a DOI but no PMID, one with neither)
goes through extract, query, rank, review, screening, every export, PRISMA and dedup when PubMed's
record of the same study arrives. Identifiers read ``doi:<DOI>`` / ``record:<id>`` where a PMID would,
nothing shows "None", and decisions survive the merge (carried over to the kept PubMed record).

The texts are invented for these tests.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import rispy
from click.testing import Result
from sqlalchemy import Engine, select

from pdacmine.db.engine import session_scope
from pdacmine.miner.screening import load_reasons, parse_decisions
from pdacmine.models import Article, ReviewAudit, ScreeningDecision

RunCli = Callable[..., Result]

SNAI1 = "doi:10.5555/ijtb.2022.0042"  # DOI, no PMID
CXCR4 = "doi:10.5555/ijtb.2021.0007"  # DOI, no PMID
TWIST1_TITLE = "TWIST1 and lung metastasis in pancreatic cancer"  # neither PMID nor DOI


DATA = Path(__file__).parent / "data" / "sources"
RIS = DATA / "no_pmid.ris"  # two records with a DOI and no PMID, one with neither
PUBMED = DATA / "no_pmid_pubmed.xml"  # PubMed's record of the SNAI1 study: same DOI, title ends with a period


def ok(result: Result) -> str:
    """The command's stdout, after checking it succeeded and shows no Python None or traceback."""
    assert result.exit_code == 0, result.output
    for text in (result.stdout, result.stderr):
        assert "None" not in text and "Traceback" not in text, text
    return result.stdout


def _record_key(engine: Engine) -> str:
    with session_scope(engine) as session:
        article_id = session.scalar(select(Article.id).where(Article.title == TWIST1_TITLE))
    return f"record:{article_id}"


@pytest.fixture
def extracted(run_cli: RunCli, tmp_path: Path) -> RunCli:
    assert "3 without PMID" in ok(run_cli("import", str(RIS)))
    ok(run_cli("extract"))
    return run_cli


def test_query_and_rank_name_records_by_doi_or_record_key(extracted: RunCli, engine: Engine) -> None:
    run_cli, twist = extracted, _record_key(engine)
    table = ok(run_cli("query", "--evidence"))
    assert SNAI1 in table and CXCR4 in table and twist in table
    for fmt in ("csv", "tsv", "json", "jsonl"):
        findings = ok(run_cli("query", "--format", fmt))
        assert SNAI1 in findings and twist in findings  # top_pmids
        assert twist in ok(run_cli("query", "--evidence", "--format", fmt))
    rows = [json.loads(line) for line in ok(run_cli("query", "--evidence", "--format", "jsonl")).splitlines()]
    assert {r["pmid"] for r in rows} == {SNAI1, CXCR4, twist}
    assert {r["doi"] for r in rows if r["pmid"] == twist} == {None}
    only = ok(run_cli("query", "--evidence", "--format", "jsonl", "--pmid", f"{twist},DOI:10.5555/IJTB.2021.0007"))
    assert {json.loads(line)["pmid"] for line in only.splitlines()} == {twist, CXCR4}
    bad = run_cli("query", "--pmid", "doi:nothing")
    assert bad.exit_code != 0 and "doi:<DOI> or record:<id>" in bad.stderr and "Traceback" not in bad.output
    findings = [json.loads(line) for line in ok(run_cli("query", "--format", "jsonl")).splitlines()]
    twist_finding = next(r["finding_id"] for r in findings if r["mechanism"] == "twist1")
    explained = ok(run_cli("rank", "--explain", str(twist_finding)))
    assert twist in explained
    assert json.loads(ok(run_cli("rank", "--explain", str(twist_finding), "--format", "json")))["score"][
        "top_pmids"
    ] == [twist]


def test_review_loop_sheet_and_log(extracted: RunCli, engine: Engine, tmp_path: Path) -> None:
    run_cli, twist = extracted, _record_key(engine)
    shown = ok(run_cli("review", "--reviewer", "alice", input="a\nr\nq\n"))
    assert f"{SNAI1} (2022)" in shown and "PMID doi:" not in shown
    log = ok(run_cli("review", "log", "--pmid", SNAI1.upper(), "--format", "jsonl"))
    assert [(e["action"], e["pmid"]) for e in map(json.loads, log.splitlines())] == [
        ("accept", SNAI1),
        ("reject", SNAI1),
    ]
    assert SNAI1 in ok(run_cli("review", "log"))

    sheet = tmp_path / "review.csv"
    ok(run_cli("review", "export", "--csv", str(sheet)))
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert {r["pmid"] for r in rows} == {SNAI1, CXCR4, twist}  # the two decided items are not in the to-do sheet
    for r in rows:
        r["decision"] = "accept" if r["pmid"] == twist else ""
    with sheet.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ok(run_cli("review", "import", "--reviewer", "bob", str(sheet)))
    bob = [
        json.loads(line) for line in ok(run_cli("review", "log", "--reviewer", "bob", "--format", "jsonl")).splitlines()
    ]
    assert [(e["action"], e["pmid"]) for e in bob] == [("accept", twist)]
    assert "2 accepted" in ok(run_cli("review", "status"))


def _rewrite(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_screening_loop_sheets_and_decision_files(extracted: RunCli, engine: Engine, tmp_path: Path) -> None:
    run_cli, twist = extracted, _record_key(engine)
    shown = run_cli("screen", "--reviewer", "alice", input="i\ne\n1\nm\nq\n")
    ok(shown)
    assert SNAI1 in shown.stdout and twist in shown.stdout

    sheet = tmp_path / "alice.csv"
    ok(run_cli("screen", "export", "--reviewer", "alice", "--all", "--csv", str(sheet)))
    keys = [r["pmid"] for r in csv.DictReader(sheet.open(encoding="utf-8"))]
    assert sorted(keys) == sorted([SNAI1, CXCR4, twist])

    def include_the_maybe(rows: list[dict[str, str]]) -> None:
        for r in rows:
            r["decision"] = "include" if r["decision"] == "maybe" else r["decision"]

    _rewrite(sheet, include_the_maybe)
    ok(run_cli("screen", "import", "--reviewer", "alice", str(sheet)))
    log = ok(run_cli("screen", "log", "--pmid", twist))
    assert [line.split("\t")[4:6] for line in log.splitlines()] == [[twist, "- -> maybe"], [twist, "maybe -> include"]]

    # ASReview (no PMID column value: DOI, else the title) and Rayyan (key: our record key) decisions come back
    asreview, rayyan = tmp_path / "asreview.csv", tmp_path / "rayyan.csv"
    ok(run_cli("export", "articles", "--format", "asreview-csv", "-o", str(asreview)))
    ok(run_cli("export", "articles", "--format", "rayyan-csv", "-o", str(rayyan)))

    def asreview_labels(rows: list[dict[str, str]]) -> None:
        assert {r["pmid"] for r in rows} == {""}
        for r in rows:
            r["included"] = "1" if r["title"] == TWIST1_TITLE or r["doi"] else "0"

    def rayyan_votes(rows: list[dict[str, str]]) -> None:
        assert {r["key"] for r in rows} == {SNAI1, CXCR4, twist}
        for r in rows:
            r["notes"] = 'RAYYAN-INCLUSION: {"Carol"=>"Included"}'

    _rewrite(asreview, asreview_labels)
    _rewrite(rayyan, rayyan_votes)
    ok(run_cli("screen", "import", "--reviewer", "dave", str(asreview)))
    ok(run_cli("screen", "import", str(rayyan)))
    with session_scope(engine) as session:
        decided = {(r, a) for r, a in session.execute(select(ScreeningDecision.reviewer, ScreeningDecision.article_id))}
        n_articles = len(session.scalars(select(Article.id)).all())
    assert {r for r, _ in decided} == {"alice", "dave", "Carol"}
    assert len(decided) == 3 * n_articles  # every record matched, the title-only one too


def test_dual_screening_conflict_is_resolved_by_doi_key(run_cli: RunCli) -> None:
    ok(run_cli("import", str(RIS)))
    ok(run_cli("screen", "--dual", "--reviewer", "alice", input="i\ni\ni\nq\n"))
    ok(run_cli("screen", "--dual", "--reviewer", "bob", input="e\n1\ni\ni\nq\n"))
    conflicts = ok(run_cli("screen", "conflicts"))
    assert conflicts.startswith(f"{SNAI1}\talice: include; bob: exclude (not-pdac)")
    resolved = ok(run_cli("screen", "resolve", SNAI1.upper(), "include", "--reviewer", "carol"))
    assert resolved.startswith(f"{SNAI1}: include (resolved by carol)")
    assert not ok(run_cli("screen", "conflicts")).strip()
    unknown = run_cli("screen", "resolve", "doi:10.5555/none", "include", "--reviewer", "carol")
    assert unknown.exit_code != 0 and "no record 'doi:10.5555/none'" in unknown.stderr


def test_exports_and_prisma_in_every_format(extracted: RunCli, engine: Engine) -> None:
    run_cli, twist = extracted, _record_key(engine)
    ok(run_cli("screen", "--reviewer", "alice", input="i\ne\n1\ni\nq\n"))
    for level, formats in (
        ("findings", ("csv", "tsv", "json", "jsonl")),
        ("evidence", ("csv", "tsv", "json", "jsonl")),
    ):
        for fmt in formats:
            assert twist in ok(run_cli("export", level, "--format", fmt))
    for fmt in ("csv", "tsv", "json", "jsonl", "ris", "rayyan-csv", "asreview-csv"):
        assert "ijtb.2022.0042" in ok(run_cli("export", "articles", "--format", fmt))
    articles = json.loads(ok(run_cli("export", "articles", "--format", "json")))
    assert {(a["pmid"], a["doi"], a["url"]) for a in articles} == {
        (None, None, None),
        (None, "10.5555/ijtb.2021.0007", "https://doi.org/10.5555/ijtb.2021.0007"),
        (None, "10.5555/ijtb.2022.0042", "https://doi.org/10.5555/ijtb.2022.0042"),
    }
    ris = rispy.load(io.StringIO(ok(run_cli("export", "articles", "--format", "ris"))))
    assert sorted(r.get("doi", "") for r in ris) == ["", "10.5555/ijtb.2021.0007", "10.5555/ijtb.2022.0042"]
    assert all("name_of_database" not in r and "accession_number" not in r for r in ris)  # not PubMed records
    rows = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(ok(run_cli("prisma"))))}
    assert (rows["database_results"], rows["records_screened"], rows["records_excluded"], rows["new_studies"]) == (
        "3", "3", "1", "2",
    )  # fmt: skip
    assert "Records screened" in ok(run_cli("prisma", "--format", "text"))
    assert json.loads(ok(run_cli("prisma", "--format", "json")))


def test_pubmed_record_of_the_same_study_takes_over_decisions_on_dedup(
    extracted: RunCli, engine: Engine, tmp_path: Path
) -> None:
    """Decisions on the ``doi:`` record's evidence and its screening decision carry over to the PubMed record
    it is merged into: sentences equal up to end punctuation (PubMed's title ends with a period)."""
    run_cli = extracted
    ok(run_cli("review", "--reviewer", "alice", input="a\nr\nq\n"))  # title sentence accepted, next rejected
    ok(run_cli("screen", "--reviewer", "alice", input="i\nq\n"))
    before = [
        json.loads(line)
        for line in ok(run_cli("query", "--evidence", "--status", "all", "--format", "jsonl")).splitlines()
    ]
    decided = {
        (e["evidence_sentence"].rstrip("."), e["review_status"]) for e in before if e["review_status"] != "unreviewed"
    }
    assert {status for _, status in decided} == {"accepted", "rejected"}
    ok(run_cli("import", str(PUBMED)))
    ok(run_cli("extract"))
    merged = ok(run_cli("dedup"))
    assert "merged 1 record(s) (1 by doi)" in merged and "carried 2 review and 1 screening decision(s)" in merged
    evidence = [
        json.loads(line)
        for line in ok(run_cli("query", "--evidence", "--status", "all", "--format", "jsonl")).splitlines()
    ]
    assert SNAI1 not in {e["pmid"] for e in evidence}  # the merged record's evidence is gone...
    after = {(e["evidence_sentence"].rstrip("."), e["review_status"]) for e in evidence if e["pmid"] == "90000042"}
    assert decided <= after  # ...and its decisions sit on the PubMed record's same sentences
    with session_scope(engine) as session:
        carried = session.scalars(select(ReviewAudit).where(ReviewAudit.action == "carry")).all()
        assert {a.pmid for a in carried} == {"90000042"} and len(carried) == 2
        assert all(SNAI1 in (a.note or "") for a in carried)
        kept = session.scalar(select(Article.id).where(Article.pmid == "90000042"))
        screened = session.scalars(select(ScreeningDecision).where(ScreeningDecision.article_id == kept)).all()
    assert [(s.reviewer, s.decision) for s in screened] == [("alice", "include")]
    assert ok(run_cli("screen", "status")).startswith("3 record(s)")  # the merged copy is not screened twice
    log = ok(run_cli("review", "log", "--pmid", "90000042"))
    assert "carry" in log and SNAI1 in log


def test_decision_files_name_records_by_key_doi_or_title() -> None:
    lines = [
        "pmid,doi,title,decision,reason",
        "doi:10.5555/X.1,,,include,",
        "record:7,,,maybe,",
        ",10.5555/y.2,,include,",
        "record:x,,,include,",
    ]
    rows, problems, fmt = parse_decisions(lines, load_reasons())
    assert fmt == "pdacmine"
    assert [(r.ref.doi, r.ref.record_id) for r in rows] == [("10.5555/x.1", None), (None, 7), ("10.5555/y.2", None)]
    assert problems.errors == [(5, "'record:x' is not a PMID")]
    asreview = ["title,abstract,pmid,doi,included", "A title only,,,,1", ",,,,0"]
    rows, problems, _ = parse_decisions(asreview, load_reasons())
    assert [(r.ref.title, r.decision) for r in rows] == [("A title only", "include")]
    assert [line for line, _ in problems.errors] == [3]
