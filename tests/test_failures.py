"""``pdacmine failures`` and ``Workspace.failures``: the records pdacmine failed on, with the reasons."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from pdacmine import Workspace
from pdacmine.db.articles import store_batch
from pdacmine.db.evidence import save_extractions
from pdacmine.miner.records import BadRecord, Failure
from pdacmine.models import ArticleExtraction, RecordError
from tests.builders import add_article

RunCli = Callable[..., Result]
PARSE_REASON = "PubDate: month 13 is not a month"
MISSING_REASON = "NCBI returned no record for PMID 40000002 in 3 runs"
EXTRACT_REASON = "text of 2,000,000 characters is longer than spaCy's max_length"


def _seed(engine: Engine) -> None:
    """One parse failure (an imported file), one PMID NCBI never returned (a search run), one extraction failure,
    on three different days."""
    with Session(engine) as s:
        store_batch(s, [BadRecord("40000001", PARSE_REASON)], source="file", error_source="pubmed26n0001.xml.gz")
        store_batch(s, [BadRecord("40000002", MISSING_REASON)], source="eutils", error_source="search run 7")
        art = add_article(s, "40000003", extracted=False)
        save_extractions(s, [(art.id, Failure("40000003", EXTRACT_REASON))], "0.9+test")
        s.flush()
        s.execute(update(RecordError).where(RecordError.pmid == "40000001").values(at=_day(1)))
        s.execute(update(RecordError).where(RecordError.pmid == "40000002").values(at=_day(2)))
        s.execute(update(ArticleExtraction).values(extracted_at=_day(3)))
        s.commit()


def _day(n: int) -> datetime:
    return datetime(2026, 3, n, 12, 30, tzinfo=UTC)


def test_all_three_failures_are_listed_newest_first_with_their_reasons(engine: Engine) -> None:
    _seed(engine)
    found = Workspace(engine=engine).failures()
    assert [(f.kind, f.record, f.source, f.reason) for f in found] == [
        ("extract", "40000003", "extractor 0.9+test", EXTRACT_REASON),
        ("harvest", "40000002", "search run 7", MISSING_REASON),
        ("import", "40000001", "pubmed26n0001.xml.gz", PARSE_REASON),
    ]
    assert [f.at for f in found] == [_day(3), _day(2), _day(1)]


def test_the_table_lists_every_failure(engine: Engine, run_cli: RunCli) -> None:
    _seed(engine)
    result = run_cli("failures")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["at", "(UTC)", "kind", "record"]
    assert [line.split()[2] for line in lines[1:]] == ["extract", "harvest", "import"]
    assert EXTRACT_REASON in lines[1] and MISSING_REASON in lines[2] and PARSE_REASON in lines[3]


@pytest.mark.parametrize(
    "args,kinds",
    [
        (["--kind", "harvest"], ["harvest"]),
        (["--kind", "import"], ["import"]),
        (["--kind", "extract"], ["extract"]),
        (["--kind", "import", "--kind", "extract"], ["extract", "import"]),
        (["--since", "2026/03/02"], ["extract", "harvest"]),
        (["--since", "2026-03-03", "--kind", "harvest"], []),
    ],
)
def test_filters(engine: Engine, run_cli: RunCli, args: list[str], kinds: list[str]) -> None:
    _seed(engine)
    result = run_cli("failures", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    assert [row["kind"] for row in json.loads(result.stdout)] == kinds


def test_json_has_every_column(engine: Engine, run_cli: RunCli) -> None:
    _seed(engine)
    rows = json.loads(run_cli("failures", "--format", "json").stdout)
    assert rows[1] == {
        "kind": "harvest",
        "record": "40000002",
        "source": "search run 7",
        "at": _day(2).isoformat(),
        "reason": MISSING_REASON,
    }


def test_tsv_to_a_file_guards_formula_cells(engine: Engine, run_cli: RunCli, tmp_path: Path) -> None:
    with Session(engine) as s:
        store_batch(s, [BadRecord(None, '=HYPERLINK("http://x")\tand a tab')], source="file", error_source="@evil.ris")
        s.commit()
    out = tmp_path / "failures.tsv"
    result = run_cli("failures", "--format", "tsv", "-o", str(out))
    assert result.exit_code == 0, result.output
    header, row = out.read_text(encoding="utf-8").splitlines()
    assert header.split("\t") == ["kind", "record", "source", "at", "reason"]
    cells = row.split("\t")
    assert cells[:3] == ["import", "", "'@evil.ris"]
    assert cells[4] == '\'=HYPERLINK("http://x") and a tab'


def test_nothing_failed(run_cli: RunCli) -> None:
    result = run_cli("failures")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no failed records"
    empty = run_cli("failures", "--format", "json")
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    assert "no failed records" in empty.stderr


def test_a_bad_since_is_exit_3(run_cli: RunCli) -> None:
    result = run_cli("failures", "--since", "last week")
    assert result.exit_code == 3
    assert "--since" in result.stderr


def test_a_record_import_skipped_is_listed_with_its_file_and_line(run_cli: RunCli, tmp_path: Path) -> None:
    xml = tmp_path / "pubmed26n0001.xml"
    xml.write_bytes((Path(__file__).parent / "data" / "pubmed_baseline.xml").read_bytes())
    assert run_cli("import", str(xml)).exit_code == 0
    result = run_cli("failures", "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["kind"], row["record"], row["source"]) == ("import", "", str(xml))
    assert row["reason"] == "PubmedArticle at line 203 has no PMID"
