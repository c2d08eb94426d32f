"""Dependencies that earn their place: PostgreSQL and zlib-ng are extras, and pdacmine works without them."""

from __future__ import annotations

import gzip
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from pdacmine.cli import cli
from pdacmine.miner.parse import iter_pubmed

DATA = Path(__file__).parent / "data"


def _requirements() -> dict[str, set[str]]:
    """extra ("" for the core) -> names of the distributions it requires."""
    out: dict[str, set[str]] = {}
    for line in metadata.requires("pdacmine") or []:
        req = Requirement(line)
        extra = ""
        if req.marker is not None:
            extra = next((e for e in ("postgres", "fast", "test") if req.marker.evaluate({"extra": e})), "?")
        out.setdefault(extra, set()).add(req.name.lower())
    return out


def test_postgres_and_zlib_ng_are_extras_not_requirements() -> None:
    reqs = _requirements()
    assert "psycopg" not in reqs[""] and "zlib-ng" not in reqs[""]
    assert "psycopg" in reqs["postgres"] and "zlib-ng" in reqs["fast"]
    assert {"psycopg", "zlib-ng"} <= reqs["test"], "CI must still test PostgreSQL and the zlib-ng reader"


def test_a_postgresql_url_without_psycopg_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now fails as if it were not installed
    result = CliRunner().invoke(cli, ["--db", "postgresql://me:secret@dbhost/pdac", "query"])
    assert result.exit_code == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'pdacmine[postgres]'" in lines[0]
    assert "secret" not in result.stderr and "Traceback" not in result.output


def test_gzip_files_are_read_without_zlib_ng(tmp_path: Path) -> None:
    packed = tmp_path / "baseline.xml.gz"
    packed.write_bytes(gzip.compress((DATA / "pubmed_baseline.xml").read_bytes()))
    expected = [str(item.pmid) for item in iter_pubmed(packed)]
    script = (
        "import sys; sys.modules['zlib_ng'] = None\n"
        "from pdacmine.miner import parse, xml_input\n"
        "assert xml_input.gunzip.__name__ == 'gzip', xml_input.gunzip\n"
        f"print(' '.join(str(i.pmid) for i in parse.iter_pubmed({str(packed)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected and len(expected) > 1
