"""The library API: pdacmine.Workspace runs the jobs and queries the CLI runs, with typed results and named errors."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

import pdacmine
from pdacmine.cli import cli
from pdacmine.db.lock import writer_lock
from pdacmine.db.query import EVIDENCE_COLUMNS
from pdacmine.errors import InputError, LockedError, NetworkError
from pdacmine.jobs import harvest as harvesting
from pdacmine.jobs.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo.xml"
DEMO_PMIDS = {f"3900000{i}" for i in range(1, 7)}
RunCli = Callable[..., Result]


@pytest.fixture
def demo(db_url: str) -> Iterator[Workspace]:
    """A workspace on the test database holding the README's demo abstracts, extracted."""
    with Workspace(db_url) as ws:
        [imported] = ws.import_files([DEMO])
        assert imported.counts.new == len(DEMO_PMIDS)
        extracted = ws.extract()
        assert extracted.articles == len(DEMO_PMIDS) and extracted.evidence > 0
        yield ws


def test_query_and_export_give_what_the_cli_gives(demo: Workspace, run_cli: RunCli) -> None:
    findings = list(demo.query(organ="hepatic"))
    assert findings and {f["organ"] for f in findings} == {"liver"}
    assert [f["rank"] for f in findings] == list(range(1, len(findings) + 1))
    assert len(findings) == demo.count_findings(demo.filters(organ="liver"))
    shown = run_cli("query", "--organ", "hepatic", "--format", "json")
    assert json.loads(shown.stdout) == json.loads(json.dumps(findings, default=str))

    sentences = list(demo.query(organ="liver", evidence=True, limit=4))
    assert len(sentences) == 4 and {s["metastatic_site"] for s in sentences} == {"liver"}
    assert {s["pmid"] for s in sentences} <= DEMO_PMIDS

    out = io.StringIO()
    written = demo.export("evidence", out, fmt="csv", organ="liver")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written == len(rows) >= 4 and tuple(rows[0]) == EVIDENCE_COLUMNS
    assert {r["metastatic_site"] for r in rows} == {"liver"}
    exported = run_cli("export", "evidence", "--organ", "liver", "--format", "csv")
    assert exported.stdout.replace("\r\n", "\n") == out.getvalue().replace("\r\n", "\n")


def test_rank_and_update_return_typed_summaries(demo: Workspace) -> None:
    ranked = demo.rank()
    assert ranked.findings == demo.count_findings() > 0 and ranked.changed == 0
    summary = demo.update(harvest=False)
    assert summary.runs == [] and summary.harvest_error is None
    assert summary.extract is not None and summary.extract.pending == 0
    assert summary.rank is not None and summary.rank.findings == ranked.findings


def test_update_goes_on_when_pubmed_is_down(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    down = NetworkError("E-utilities still failing after 3 tries: HTTP 503")

    def harvest(*_: Any, **__: Any) -> list[Any]:
        raise down

    monkeypatch.setattr(harvesting, "harvest", harvest)
    with Workspace(db_url) as ws:
        ws.import_files([DEMO])
        summary = ws.update(raise_harvest_error=False)
        assert summary.harvest_error is down
        assert summary.extract is not None and summary.extract.articles == len(DEMO_PMIDS)
        assert summary.rank is not None and summary.rank.findings == ws.count_findings() > 0
        with pytest.raises(NetworkError, match="HTTP 503"):
            ws.update()


def test_named_errors(db_url: str, engine: Engine, tmp_path: Path) -> None:
    with Workspace(db_url) as ws:
        with pytest.raises(InputError, match="did you mean"):
            ws.filters(organ="livr")
        with pytest.raises(InputError, match="cannot export 'nonsense'"):
            ws.export("nonsense", io.StringIO())
        with pytest.raises(InputError, match="articles cannot be written as 'xml'"):
            ws.export("articles", io.StringIO(), fmt="xml")
        with pytest.raises(InputError, match="no such file"):
            ws.import_files([tmp_path / "missing.xml"])
        with writer_lock(engine), pytest.raises(LockedError):
            ws.rank()


def test_a_new_sqlite_database_is_created_where_the_workspace_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sub" / "pdac.db"
    monkeypatch.setenv("PDACMINE_DB", str(path))
    ws = Workspace()  # the db setting: here PDACMINE_DB
    assert ws.location == str(path) and not path.exists() and not ws.created
    assert ws.count_findings() == 0
    assert ws.created and path.exists()
    ws.close()
    with Workspace(f"sqlite:///{path}") as again:
        assert again.count_findings() == 0 and not again.created


def test_update_says_where_it_created_the_database(tmp_path: Path) -> None:
    path = tmp_path / "first" / "pdac.db"
    first = CliRunner().invoke(cli, ["--db", str(path), "update", "--no-harvest"])
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines() == [f"pdacmine: created a new database at {path}"]
    second = CliRunner().invoke(cli, ["--db", str(path), "update", "--no-harvest"])
    assert second.exit_code == 0 and "created" not in second.stderr
    quiet = CliRunner().invoke(cli, ["--db", str(tmp_path / "quiet.db"), "-q", "update", "--no-harvest"])
    assert quiet.exit_code == 0 and quiet.output == "" and (tmp_path / "quiet.db").exists()


def test_import_pdacmine_stays_cheap() -> None:
    script = (
        "import sys, pdacmine\n"
        "assert 'sqlalchemy' not in sys.modules and 'spacy' not in sys.modules\n"
        "assert pdacmine.Workspace.__module__ == 'pdacmine.jobs.workspace'\n"
        "assert 'spacy' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert pdacmine.Workspace is Workspace
    with pytest.raises(AttributeError):
        pdacmine.Nonexistent  # noqa: B018


def readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## Use it from Python.*?```python\n(.*?)```", text, re.S)
    assert match, "README.md has no ```python block under '## Use it from Python'"
    return match.group(1)


def test_the_readme_script_runs(tmp_path: Path) -> None:
    script = readme_script()
    code = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(code) <= 6, "the README promises five lines after the import"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {"PATH": "", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}  # no user config
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all("|liver|" in line for line in lines), done.stdout
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    assert (tmp_path / "pdac.db").exists()
