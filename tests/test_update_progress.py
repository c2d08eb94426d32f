"""``pdacmine update`` on a terminal shows its progress on stderr, as harvest and extract do; with -q, or
when stderr is not a terminal, it shows none. Runs pdacmine in a subprocess whose stderr is a real
pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from pdacmine.jobs.workspace import Workspace
from tests.eutils_stub import Corpus, EutilsStub

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.xml"


def run_update(db_url: str, *args: str, terminal: bool, env: dict[str, str] | None = None) -> tuple[str, str]:
    """Run ``pdacmine --db URL [args] update ...``; returns (stdout, what stderr showed)."""
    environ = {**os.environ, "TERM": "xterm", "COLUMNS": "100", **(env or {})}
    command = [sys.executable, "-m", "pdacmine", "--db", db_url, *args]
    if not terminal:
        done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    master, slave = pty.openpty()
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run(command, env=environ, stdout=subprocess.PIPE, stderr=slave, timeout=300, check=False)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    assert done.returncode == 0, b"".join(shown).decode(errors="replace")
    return done.stdout.decode(), b"".join(shown).decode(errors="replace")


@pytest.fixture
def stored(tmp_path: Path) -> str:
    """An SQLite database holding the demo abstracts (the display does not depend on the backend)."""
    url = f"sqlite:///{tmp_path / 'pdac.db'}"
    with Workspace(url) as ws:
        ws.import_files([DEMO])
    return url


def test_update_shows_each_step_on_a_terminal(stored: str, eutils_server: EutilsStub) -> None:
    eutils_server.corpus = Corpus.spread(5, date(2024, 1, 1), date(2024, 1, 31))
    env = {"NCBI_EMAIL": "ada+pdac@example.org", "PDACMINE_EUTILS_URL": eutils_server.url}
    stdout, screen = run_update(stored, "update", terminal=True, env=env)
    assert "harvest pdac-metastasis" in screen and "5/5" in screen
    assert "extracting" in screen and "11/11" in screen  # the demo's 6 articles and the 5 harvested ones
    assert "ranking findings" in screen
    assert [line.split(":")[0] for line in stdout.splitlines()] == ["harvest", "extract", "rank"]
    assert "extract: 11 article(s)" in stdout


def test_quiet_and_piped_updates_show_no_progress(stored: str) -> None:
    stdout, screen = run_update(stored, "-q", "update", "--no-harvest", terminal=True)
    assert stdout == "" and screen == ""
    stdout, stderr = run_update(stored, "update", "--no-harvest", terminal=False)
    assert stderr == "" and stdout.startswith("extract: 0 article(s)")
