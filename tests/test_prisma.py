"""PRISMA 2020 counts on a constructed database: every identified record lands in exactly one box, only
people's screening decisions count as screened, and every box of the template adds up."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.db.exports import prisma_counts
from pdacmine.db.screening import start_session
from pdacmine.miner.prisma import TEMPLATE_HEADER, Identification, PrismaCounts, summary_lines, write_template_csv
from pdacmine.models import ImportedFile
from tests.builders import add_article, add_evidence, add_search, screen

RunCli = Callable[..., Result]

#: Every data key of the PRISMA2020 template CSV (prisma-flowdiagram/PRISMA2020 inst/extdata/PRISMA.csv).
TEMPLATE_KEYS = [
    "previous_studies", "previous_reports", "database_results", "database_specific_results", "register_results",
    "register_specific_results", "website_results", "organisation_results", "citations_results", "duplicates",
    "excluded_automatic", "excluded_other", "records_screened", "records_excluded", "dbr_sought_reports",
    "dbr_notretrieved_reports", "other_sought_reports", "other_notretrieved_reports", "dbr_assessed",
    "dbr_excluded", "other_assessed", "other_excluded", "new_studies", "new_reports", "total_studies",
    "total_reports", "identification", "screening", "included", "total_studies_ma", "total_reports_ma",
]  # fmt: skip


@pytest.fixture
def flow(engine: Engine) -> None:
    """Two searches overlapping on 3 and 4, one PMID never stored (9), a withdrawn record (5), two PubMed
    XML files (7 and 8), and every screening outcome: 1 included, 2 and 3
    excluded for two reasons, 6 a conflict, 7 maybe, 4 and 8 unscreened without evidence."""
    with Session(engine) as s:
        add_search(s, "pdac", ["1", "2", "3", "4", "5", "9"])
        add_search(s, "pdac", ["1", "2"])  # a re-run identifies nothing new
        add_search(s, "liver", ["3", "4", "6"])
        a1, a2, a3 = (add_article(s, p) for p in ("1", "2", "3"))
        add_article(s, "4")
        add_article(s, "5", deleted=True)
        a6 = add_article(s, "6", extracted=False)
        a7 = add_article(s, "7", source="file")
        add_article(s, "8", source="file")
        s.add_all(ImportedFile(name=f"pubmed26n000{i}.xml", sha256=str(i) * 64, size=1, records=1) for i in (1, 2))
        add_evidence(s, a1)
        add_evidence(s, a7)
        screen(s, a1, "include")
        screen(s, a2, "exclude", "not-pdac")
        screen(s, a3, "exclude", "no-metastasis")
        screen(s, a6, "include", reviewer="alice")
        screen(s, a6, "exclude", "not-pdac", reviewer="bob")
        screen(s, a7, "maybe")
        s.commit()


def _csv(run_cli: RunCli, *args: str) -> dict[str, dict[str, str]]:
    result = run_cli("prisma", *args)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == TEMPLATE_HEADER
    return {r["data"]: r for r in rows if r["data"] != "NA"}


def _listed(text: str) -> dict[str, int]:
    """The template's "Name, n; Name, n" lists."""
    pairs = (part.rsplit(",", 1) for part in text.split(";"))
    return {name.strip(): int(n) for name, n in pairs}


def test_counts_from_the_database(engine: Engine, flow: None) -> None:
    with engine.connect() as conn:
        c = prisma_counts(conn)
    assert dict(c.sources) == {
        "PubMed search liver": 3,
        "PubMed search pdac": 6,
        "PubMed pubmed26n0001.xml": 1,
        "PubMed pubmed26n0002.xml": 1,
    }
    assert (c.database_results, c.identified_distinct, c.duplicates, c.excluded_other) == (11, 9, 2, 2)
    assert (c.screened, c.excluded, c.included, c.excluded_automatic) == (3, 2, 1, 0)
    assert dict(c.excluded_reasons) == {"not-pdac": 1, "no-metastasis": 1}
    assert c.awaiting_by == {"unscreened": 2, "in-progress": 0, "maybe": 1, "conflict": 1}
    assert c.balanced()


def test_automation_only_when_chosen(engine: Engine, flow: None) -> None:
    with engine.connect() as conn:
        c = prisma_counts(conn, automation_excludes=True)
    assert c.excluded_automatic == 2 and c.awaiting_by["unscreened"] == 0 and c.screened == 3 and c.balanced()


def test_dual_screening_needs_two_reviewers(engine: Engine, flow: None) -> None:
    with Session(engine) as s:
        start_session(s, "alice", "terminal", "evidence", 2)
        s.commit()
    with engine.connect() as conn:
        c = prisma_counts(conn)
    # one reviewer each on 1, 2, 3 and 7: in progress, not screened; 6 (two reviewers) stays a conflict
    assert (c.screened, c.included) == (0, 0)
    assert c.awaiting_by == {"unscreened": 2, "in-progress": 4, "maybe": 0, "conflict": 1} and c.balanced()


@pytest.mark.parametrize("automation", [False, True])
def test_every_box_adds_up(run_cli: RunCli, flow: None, automation: bool) -> None:
    args = ["--automation-excludes"] if automation else []
    rows = _csv(run_cli, *args)
    assert set(TEMPLATE_KEYS) <= set(rows)
    assert all(r["n"].strip() not in ("", "NA") for r in rows.values()), "every n is a number or a stated reason"
    n = {k: int(r["n"]) for k, r in rows.items() if r["n"].lstrip("-").isdigit()}
    doc = json.loads(run_cli("prisma", "--format", "json", *args).stdout)
    assert n["database_results"] == sum(_listed(rows["database_specific_results"]["n"]).values()) == 11
    remaining = n["database_results"] - n["duplicates"] - n["excluded_automatic"] - n["excluded_other"]
    assert remaining == n["records_screened"] + doc["awaiting_screening"]
    assert doc["awaiting_screening"] == sum(doc["awaiting_by"].values())
    assert n["records_excluded"] == sum(doc["excluded_reasons"].values()) == 2
    assert "not-pdac, 1" in rows["records_excluded"]["tooltips"]
    assert n["records_screened"] - n["records_excluded"] == n["dbr_sought_reports"]
    assert n["dbr_sought_reports"] - n["dbr_notretrieved_reports"] == n["dbr_assessed"]
    assert n["dbr_assessed"] - sum(_listed(rows["dbr_excluded"]["n"]).values()) == n["new_studies"]
    assert n["total_studies"] == n["new_studies"] + n["previous_studies"] == 1
    assert n["total_reports"] == n["new_reports"] + n["previous_reports"]
    assert n["register_results"] == sum(_listed(rows["register_specific_results"]["n"]).values()) == 0
    assert (n["total_studies_ma"], n["total_reports_ma"]) == (0, 0)
    assert n["excluded_automatic"] == (2 if automation else 0)
    assert ("automation" in rows["excluded_automatic"]["tooltips"]) and doc["balanced"]


def test_screened_is_only_what_people_decided(run_cli: RunCli, engine: Engine) -> None:
    """The issue's case: a fresh harvest nobody screened is 0 screened, not everything."""
    with Session(engine) as s:
        add_search(s, "pdac", [str(p) for p in range(100, 110)])
        for p in range(100, 110):
            add_evidence(s, add_article(s, str(p)))
        s.commit()
    rows = _csv(run_cli)
    assert (rows["records_screened"]["n"], rows["records_excluded"]["n"], rows["new_studies"]["n"]) == ("0", "0", "0")
    assert "10 awaiting screening" in rows["records_screened"]["tooltips"]


def test_prisma_text_states_awaiting_and_screening_method(run_cli: RunCli, flow: None) -> None:
    run_cli("screen", "--reviewer", "carol", input="q\n")  # records the order of a session
    text = run_cli("prisma", "--format", "text").stdout
    assert "warning" not in text
    assert any("Awaiting screening" in line and line.split()[2] == "4" for line in text.splitlines())
    assert "order: pdacmine evidence first" in text and "single reviewer per record" in text


def test_bom_is_for_csv_only(run_cli: RunCli, flow: None) -> None:
    result = run_cli("prisma", "--format", "json", "--bom")
    assert not result.stdout.startswith("\ufeff") and json.loads(result.stdout)["included"] == 1
    assert "--bom ignored" in result.stderr


def test_empty_database_is_all_zero(run_cli: RunCli) -> None:
    result = run_cli("prisma", "--format", "text")
    assert result.exit_code == 0 and "Records identified" in result.stdout and "warning" not in result.stdout


def test_unbalanced_counts_are_flagged() -> None:
    c = PrismaCounts(Identification((("x", 3),), 3, 0, "none"), 0, 0, False, 1, ())
    assert not c.balanced() and "warning" in list(summary_lines(c))[-1]


def test_template_csv_guards_a_query_name_that_looks_like_a_formula() -> None:
    counts = PrismaCounts(
        Identification((("=HYPERLINK(1)", 3), ("-pdac", 2)), 5, 0, "none"),
        0,
        0,
        False,
        2,
        (("-other", 1),),
        {"unscreened": 2},
    )
    out = io.StringIO()
    write_template_csv(counts, out)
    cells = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
    assert "'=HYPERLINK(1), 3; -pdac, 2" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
