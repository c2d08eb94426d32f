"""The command group itself: help, exit codes, settings precedence, db upgrade."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pdacmine.cli import cli
from pdacmine.config import load_settings, normalize_db_url


def test_help_lists_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes" in result.output
    assert "6 another run holds the lock" in result.output


def test_db_upgrade_creates_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "new.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert db.exists()
    again = CliRunner().invoke(cli, ["--db", str(db), "db", "upgrade"])
    assert "up to date" in again.output


def test_unreachable_database_is_one_line_exit_5() -> None:
    result = CliRunner().invoke(cli, ["--db", "postgresql://nobody@127.0.0.1:1/none", "db", "upgrade"])
    assert result.exit_code == 5
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and "does not answer" in lines[0]


def test_settings_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('db = "file.db"\nncbi_email = "file@example.org"\neutils_url = "http://file/"\n')
    env = {"NCBI_EMAIL": "env@example.org", "PDACMINE_EUTILS_URL": "http://env/"}
    s = load_settings({"eutils_url": "http://option/"}, environ=env, path=cfg)
    assert s.eutils_url == "http://option/" and s.sources["eutils_url"] == "option"
    assert s.ncbi_email == "env@example.org" and s.sources["ncbi_email"] == "env NCBI_EMAIL"
    assert s.db == normalize_db_url("file.db") and s.sources["db"] == "config file"
    assert s.sources["ncbi_api_key"] == "default"


def test_bad_config_file_is_exit_3(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "bad.toml"
    cfg.write_text("colour = 'red'\n")
    monkeypatch.setenv("PDACMINE_CONFIG", str(cfg))
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 3
    assert "unknown setting" in result.stderr


def test_config_never_prints_secrets(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NCBI_API_KEY", "sekrit-key-123")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 0
    assert "sekrit" not in result.output and "(set)" in result.output


def test_database_fixture_is_migrated(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("db", "upgrade")
    assert result.exit_code == 0
    assert "up to date" in result.output
