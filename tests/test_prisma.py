"""PRISMA 2020 counts on a constructed database: every identified record lands in exactly one box."""

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
from pdacmine.db.findings import refresh_findings
from pdacmine.miner.prisma import TEMPLATE_HEADER, PrismaCounts, screening_status, summary_lines, write_template_csv
from tests.builders import add_article, add_evidence, add_search, decide

RunCli = Callable[..., Result]

#: The data keys of the PRISMA2020 template that carry numbers (ecosystem-conventions §1.1).
TEMPLATE_KEYS = [
    "previous_studies", "previous_reports", "database_results", "register_results", "website_results",
    "organisation_results", "citations_results", "duplicates", "excluded_automatic", "excluded_other",
    "records_screened", "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports",
    "other_sought_reports", "other_notretrieved_reports", "dbr_assessed", "dbr_excluded", "other_assessed",
    "other_excluded", "new_studies", "new_reports", "total_studies", "total_reports",
]  # fmt: skip


@pytest.fixture
def flow(engine: Engine) -> None:
    """Two searches overlapping on 3 and 4, one PMID never stored (9), a withdrawn record (5),
    a file import (7), a record fetched without a search (8), and every screening outcome."""
    with Session(engine) as s:
        add_search(s, "pdac", ["1", "2", "3", "4", "5", "9"])
        add_search(s, "pdac", ["1", "2"])  # a re-run identifies nothing new
        add_search(s, "liver", ["3", "4", "6"])
        a1, a2, a3 = (add_article(s, p) for p in ("1", "2", "3"))
        add_article(s, "4")  # extracted, nothing found: automation
        add_article(s, "5", deleted=True)
        add_article(s, "6", extracted=False)
        a7 = add_article(s, "7", source="file")
        add_article(s, "8")  # automation
        decide(s, add_evidence(s, a1), "accepted")
        decide(s, add_evidence(s, a2), "rejected")
        decide(s, add_evidence(s, a3), "rejected")
        add_evidence(s, a3, organ="lung")  # still unreviewed: a3 is pending, not excluded
        add_evidence(s, a7)
        refresh_findings(s)
        s.commit()


def test_counts_from_the_database(engine: Engine, flow: None) -> None:
    with engine.connect() as conn:
        c = prisma_counts(conn)
    assert dict(c.sources) == {
        "PubMed search liver": 3,
        "PubMed search pdac": 6,
        "imported PubMed XML files": 1,
        "PubMed records fetched without a search run": 1,
    }
    assert (c.database_results, c.identified_distinct, c.duplicates) == (11, 9, 2)
    assert (c.not_retrieved, c.withdrawn, c.excluded_other) == (1, 1, 2)
    assert (c.excluded_automatic, c.not_extracted) == (2, 1)
    assert (c.screened, c.excluded_reviewer, c.pending, c.included) == (4, 1, 2, 1)
    assert c.balanced()


def test_prisma_csv_is_the_template_with_our_numbers(run_cli: RunCli, flow: None) -> None:
    result = run_cli("prisma")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == TEMPLATE_HEADER
    n = {r["data"]: r["n"] for r in rows if r["data"] != "NA"}
    assert set(TEMPLATE_KEYS) <= set(n)
    assert (n["database_results"], n["duplicates"], n["excluded_automatic"], n["excluded_other"]) == (
        "11",
        "2",
        "2",
        "2",
    )
    assert (n["records_screened"], n["records_excluded"], n["new_studies"], n["total_studies"]) == ("4", "1", "1", "1")
    assert n["dbr_assessed"] == "" and n["previous_studies"] == "0"  # full-text stages are the team's
    assert "PubMed search pdac, 6" in n["database_specific_results"]
    screened = next(r for r in rows if r["data"] == "records_screened")
    assert "2 still awaiting review" in screened["tooltips"] and "1 not yet extracted" in screened["tooltips"]


def test_prisma_text_and_json(run_cli: RunCli, flow: None) -> None:
    text = run_cli("prisma", "--format", "text").stdout
    assert "Records identified from PubMed" in text and "warning" not in text
    assert any(line.split()[-1] == "2" and "Duplicate" in line for line in text.splitlines())
    doc = json.loads(run_cli("prisma", "--format", "json").stdout)
    assert doc["duplicates"] == 2 and doc["included"] == 1 and doc["records_screened"] == 4


def test_empty_database_is_all_zero(run_cli: RunCli) -> None:
    result = run_cli("prisma", "--format", "text")
    assert result.exit_code == 0 and "Records identified from PubMed" in result.stdout


@pytest.mark.parametrize(
    ("args", "status"),
    [((True, 3, 1, 0), "included"), ((True, 2, 0, 2), "excluded-by-reviewer"), ((True, 2, 0, 1), "pending"),
     ((True, 0, 0, 0), "excluded-by-automation"), ((False, 0, 0, 0), "not-extracted")],
)  # fmt: skip
def test_screening_status(args: tuple[bool, int, int, int], status: str) -> None:
    assert screening_status(*args) == status


def test_unbalanced_counts_are_flagged() -> None:
    c = PrismaCounts((("x", 3),), 3, 0, 0, 0, 0, 0, 0, 1)
    assert not c.balanced() and "warning" in list(summary_lines(c))[-1]


def test_template_csv_guards_a_query_name_that_looks_like_a_formula() -> None:
    counts = PrismaCounts(
        sources=(("=HYPERLINK(1)", 3), ("-pdac", 2)), identified_distinct=5, not_retrieved=0, withdrawn=0,
        excluded_automatic=1, not_extracted=0, excluded_reviewer=1, pending=1, included=2,
    )  # fmt: skip
    out = io.StringIO()
    write_template_csv(counts, out)
    cells = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
    assert "'=HYPERLINK(1), 3; -pdac, 2" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
