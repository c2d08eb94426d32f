"""The README and --help texts stay true: every command documented, the session reproducible."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pdacmine.cli import cli
from scripts.readme_session import BLOCK, README, commands, normalise, run_session


def _all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_all_commands(cmd, prefix=f"{full} "))
    return out


COMMANDS = _all_commands(cli)


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"pdacmine {name}" in README.read_text(encoding="utf-8"), f"README.md never shows `pdacmine {name}`"


@pytest.mark.parametrize("name,cmd", [(n, c) for n, c in COMMANDS if not isinstance(c, click.Group)])
def test_every_command_help_has_an_example(name: str, cmd: click.Command) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`pdacmine {name} --help` has no Example block"


def test_readme_starts_with_the_two_setup_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block[0].startswith("pip install . && ") and "pdacmine update" in block[0]
    assert block[1] == "pip install -e '.[test]' && python -m pytest"
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert block[1] in ci, ".ci/run must run the README's test command"


def test_readme_session_matches_what_pdacmine_prints() -> None:
    text = README.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match
    shown = match.group(2)
    actual = run_session(commands(text))
    assert normalise(actual) == normalise(shown), "README session is stale: run python scripts/readme_session.py"
