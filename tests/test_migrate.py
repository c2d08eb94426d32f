"""The schema on first use: several commands starting at once on a fresh database (processes, both backends)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pdacmine.db import make_engine
from pdacmine.db.migrate import current_revision, head_revision
from tests.conftest import POSTGRES_URL

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "demo.xml"
COMMANDS = [["db", "upgrade"], ["queries", "list"], ["import", str(EXAMPLE)], ["db", "upgrade"]]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has used yet: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PDACMINE_TEST_POSTGRES_URL is not set")
    schema = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_engine(POSTGRES_URL).url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_first_use_by_several_commands_at_once(fresh_url: str, tmp_path: Path) -> None:
    env_cmd = [sys.executable, "-m", "pdacmine", "--db", fresh_url]
    procs = [
        subprocess.Popen([*env_cmd, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in COMMANDS
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for (code, _out, err), args in zip(results, COMMANDS, strict=True):
        assert code == 0, f"{args}: exit {code}: {err}"
        assert "Traceback" not in err
    engine = make_engine(fresh_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 6
    finally:
        engine.dispose()
