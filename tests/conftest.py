"""Shared fixtures: one database per test on SQLite (and PostgreSQL when configured), a CLI runner.

Set ``PDACMINE_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test`` to run every
database test on PostgreSQL as well (CI does). Tests never touch the internet or ``../shared``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from pdacmine.cli import cli
from pdacmine.config import SETTINGS
from pdacmine.db import make_engine, upgrade
from pdacmine.miner.nlp.pipeline import get_pipeline
from pdacmine.miner.nlp.vocab import default_vocabulary
from pdacmine.models import Base
from tests.eutils_stub import EutilsStub

POSTGRES_URL = os.environ.get("PDACMINE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(autouse=True, scope="session")
def _no_user_vocabulary() -> Iterator[None]:
    """The user's ``PDACMINE_VOCAB`` never reaches the default vocabulary (modules may set their own)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PDACMINE_VOCAB", raising=False)
        yield


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, no real NCBI credentials, no user data dir leak into tests."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.delenv("PDACMINE_CONFIG", raising=False)  # the user config dir is under XDG_CONFIG_HOME below
    monkeypatch.delenv("PDACMINE_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@contextmanager
def _vocabulary_file(path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PDACMINE_VOCAB", str(path))
        default_vocabulary.cache_clear()
        get_pipeline.cache_clear()
        try:
            yield path
        finally:
            default_vocabulary.cache_clear()
            get_pipeline.cache_clear()


@pytest.fixture(scope="session")
def user_vocabulary() -> Callable[[Path], AbstractContextManager[Path]]:
    """``with user_vocabulary(path):`` the user's vocabulary file is ``path`` (``PDACMINE_VOCAB``), and the
    default vocabulary and pipeline are loaded again inside and after the block (session-scoped, so module
    fixtures can use it too)."""
    return _vocabulary_file


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine | None]:
    if not POSTGRES_URL:
        yield None
        return
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_postgres(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> str:
    """URL of an empty, migrated database: a fresh SQLite file, or a truncated PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "pdacmine.db"
        shutil.copy(_sqlite_template, path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("_postgres_engine")
    _truncate_postgres(engine)
    assert POSTGRES_URL
    return POSTGRES_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def run_cli(db_url: str) -> Callable[..., Result]:
    """Invoke ``pdacmine --db <test db> ARGS...``; returns click's Result (stdout, stderr, exit_code)."""

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--db", db_url, *args], input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def eutils_server() -> Iterator[EutilsStub]:
    """A loopback E-utilities stand-in (``tests/eutils_stub.py``): ``.url``, ``.corpus``, ``.faults``, ``.requests``."""
    with EutilsStub() as server:
        yield server
