"""The command group itself: help, exit codes, settings precedence, db upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pdacmine.cli import cli
from pdacmine.config import load_settings, normalize_db_url

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "demo.xml"


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


def _one_line(result: Result, code: int, *words: str) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("pdacmine: error: "), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


@pytest.mark.parametrize("cut", [0.02, 1 / 3, 0.5, 0.9])
def test_a_truncated_or_corrupt_sqlite_file_is_one_line_exit_5(tmp_path: Path, cut: float) -> None:
    db = tmp_path / "good.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "import", str(EXAMPLE)]).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    bad = tmp_path / "bad.db"
    bad.write_bytes(data[: max(4096, int(len(data) * cut)) // 4096 * 4096])
    for args in (["query", "--evidence"], ["export", "articles"], ["import", str(EXAMPLE)], ["prisma"]):
        _one_line(CliRunner().invoke(cli, ["--db", str(bad), *args]), 5, str(bad), "corrupt or truncated")
    noise = tmp_path / "noise.db"
    noise.write_bytes(b"not a database at all\n" * 500)
    _one_line(CliRunner().invoke(cli, ["--db", str(noise), "query"]), 5, "not a database")


def test_a_db_option_that_is_not_a_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for db in ("notaurl", "postgresql:/one-slash"):
        _one_line(CliRunner().invoke(cli, ["--db", db, "update"]), 3, repr(db), "neither a URL")
    assert list(tmp_path.iterdir()) == []  # nothing created


@pytest.mark.parametrize("args", [["query"], ["export", "findings"], ["review", "status"], ["prisma"], ["searches"]])
def test_read_commands_do_not_create_a_missing_database(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "sub" / "missing.db"
    for given in (str(db), f"sqlite:///{db}"):
        _one_line(CliRunner().invoke(cli, ["--db", given, *args]), 5, str(db), "does not exist")
    assert not db.exists() and not db.parent.exists()


def test_write_commands_create_the_database_and_say_where(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert f"created a new database at {db}" in result.stderr and db.exists()
    again = CliRunner().invoke(cli, ["--db", str(db), "query"])
    assert again.exit_code == 0 and "created" not in again.stderr
    quiet = CliRunner().invoke(cli, ["-q", "--db", str(tmp_path / "q.db"), "db", "upgrade"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_config_names_each_source_once_and_a_missing_config_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDACMINE_REVIEWER", "ann")
    shown = CliRunner().invoke(cli, ["config"])
    assert shown.exit_code == 0
    line = next(x for x in shown.output.splitlines() if x.startswith("reviewer"))
    assert line.endswith("[env PDACMINE_REVIEWER]")
    assert next(x for x in shown.output.splitlines() if x.startswith("eutils_url")).endswith(
        "[default; env PDACMINE_EUTILS_URL]"
    )
    monkeypatch.setenv("PDACMINE_CONFIG", str(tmp_path / "nope.toml"))
    for args in (["config"], ["query"]):
        _one_line(CliRunner().invoke(cli, args), 3, "PDACMINE_CONFIG", "nope.toml", "does not exist")


HUGE = str(2**64)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "--limit", HUGE],
        ["query", "--offset", HUGE],
        ["query", "--min-papers", HUGE],
        ["query", "--evidence", "--limit", "-1"],
        ["export", "evidence", "--limit", HUGE],
        ["export", "findings", "--min-papers", str(2**31)],
        ["review", "log", "--limit", HUGE],
        ["review", "--limit", HUGE],
        ["rank", "--explain", HUGE],
        ["searches", "--run", HUGE],
        ["searches", "--limit", HUGE],
    ],
)
def test_numbers_beyond_the_integer_range_are_usage_errors(run_cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Invalid value" in result.stderr


def test_odd_finding_ids_are_one_line(run_cli) -> None:  # type: ignore[no-untyped-def]
    for ref in ("\u00b2", "\u0661\u0662", str(2**31 - 1), "0"):
        result = run_cli("rank", "--explain", ref)
        assert result.exit_code == 3 and "no finding" in result.stderr, result.output


def test_a_database_error_raised_while_stopping_is_an_interruption() -> None:
    """Ctrl-C mid-query on PostgreSQL: returning the cut connection fails; the user still sees exit 130."""
    import click
    from sqlalchemy.exc import DBAPIError

    from pdacmine.cli import PdacmineGroup

    @click.group(cls=PdacmineGroup)
    def group() -> None:
        pass

    @group.command()
    def stopped() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:  # what the pool's reset does while the interrupt unwinds
            raise DBAPIError("ROLLBACK", {}, Exception("can't change 'autocommit' now")) from None

    @group.command()
    def failed() -> None:
        raise DBAPIError("SELECT 1", {}, Exception("server closed the connection"))

    runner = CliRunner()
    stop = runner.invoke(group, ["stopped"])
    assert stop.exit_code == 130 and "interrupted" in stop.stderr and "autocommit" not in stop.stderr
    fail = runner.invoke(group, ["failed"])
    assert fail.exit_code == 5 and "server closed the connection" in fail.stderr
