"""Run the terminal session shown in README.md and rewrite it with the real output.

The session is the ```console block under "## A terminal session": each ``$ pdacmine ...``
line is run (in a scratch folder holding a copy of ``examples/``, on a fresh SQLite
database, 120 columns wide) and the lines after it are its output. ``tests/test_docs.py``
runs the same commands and fails when the README no longer matches what pdacmine prints.

Usage:
  python scripts/readme_session.py           # rewrite README.md in place
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"(## A terminal session.*?```console\n)(.*?)(```)", re.S)
#: Parts of the output that change from run to run (timings, version digests).
VOLATILE = [
    (re.compile(r"in \d+(\.\d+)? s\b"), "in <t> s"),
    (re.compile(r"\(extractor [^)]*\)"), "(extractor <version>)"),
    (re.compile(r"reference year \d{4}"), "reference year <year>"),
    (re.compile(r"^finding \d+:", re.M), "finding <id>:"),
    # scores carry a recency term that moves with the calendar year
    (re.compile(r"\b\d+\.\d{2,4}\b"), "<x>"),
]


def commands(readme: str) -> list[str]:
    match = BLOCK.search(readme)
    if not match:
        raise SystemExit("README.md has no ```console block under '## A terminal session'")
    return [line[2:] for line in match.group(2).splitlines() if line.startswith("$ ")]


def run_session(cmds: list[str]) -> str:
    """Run each command (``pdacmine ...``) and return the console transcript."""
    from pdacmine.cli import cli

    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "examples", Path(tmp) / "examples")
        # the scratch folder plays $HOME: the database goes where a newcomer's would (the data dir)
        env = {"PDACMINE_DB": None, "XDG_DATA_HOME": f"{tmp}/.local/share", "COLUMNS": "120", "NO_COLOR": "1",
               "PDACMINE_CONFIG": None, "XDG_CONFIG_HOME": f"{tmp}/.config",
               "PDACMINE_VOCAB": f"{tmp}/none.tsv"}  # fmt: skip
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            for cmd in cmds:
                argv = shlex.split(cmd)
                if argv[0] != "pdacmine":
                    raise SystemExit(f"README session line is not a pdacmine command: {cmd}")
                result = CliRunner().invoke(cli, argv[1:], env=env, catch_exceptions=False)
                if result.exit_code != 0:
                    raise RuntimeError(f"`{cmd}` exited {result.exit_code}: {result.output}")
                out.append(f"$ {cmd}")
                # stdout and stderr, as on a terminal
                out.extend(line.rstrip().replace(tmp, "~") for line in result.output.splitlines())
        finally:
            os.chdir(cwd)
    return "\n".join(out) + "\n"


def normalise(text: str) -> str:
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    transcript = run_session(commands(text))
    new = BLOCK.sub(lambda m: m.group(1) + transcript + m.group(3), text, count=1)
    README.write_text(new, encoding="utf-8")
    print(f"README.md session: {len(commands(text))} commands rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
