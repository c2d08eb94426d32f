"""CLI: ``update``, the cron job (the job itself is ``pdacmine.jobs.update``, called through the Workspace)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bars

from pdacmine.cli.context import AppContext, pass_app, workspace
from pdacmine.cli.signals import stop_signal_as_interrupt
from pdacmine.jobs.harvest import Progress
from pdacmine.jobs.update import UpdateProgress

_LABELS = {"extract": "extracting", "rank": "ranking findings"}


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class UpdateDisplay:
    """The progress of an update on stderr, as harvest and extract show theirs: one bar per saved
    query while harvesting, one for the extraction, then one while the findings are ranked."""

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}

    def _task(self, key: str, label: str) -> TaskID:
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(label, total=None)
        return self.tasks[key]

    def step(self, name: str) -> None:
        if name in _LABELS:
            self._task(name, _LABELS[name])

    def harvest(self, p: Progress) -> None:
        label = f"harvest {p.query_name}"
        self.bars.update(self._task(label, label), completed=p.fetched, total=p.hits)

    def extract(self, done: int, total: int) -> None:
        self.bars.update(self._task("extract", _LABELS["extract"]), completed=done, total=total)

    def done(self, name: str, _line: str) -> None:
        if name == "rank" and "rank" in self.tasks:
            self.bars.update(self.tasks["rank"], completed=1, total=1)


@contextmanager
def update_display(enabled: bool) -> Iterator[UpdateDisplay | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Bars(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as bars:
        yield UpdateDisplay(bars)


@click.command("update")
@click.option("--no-harvest", is_flag=True, help="Offline: only extract what is new and refresh the findings.")
@click.option("--query", "query_names", multiple=True, metavar="NAME", help="Harvest only this saved query.")
@click.option("--email", metavar="ADDRESS", help="E-mail sent to NCBI  [env NCBI_EMAIL]")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True, help="Extraction processes.")
@click.option("--model", metavar="NAME", help="spaCy model for extraction (default: the built-in pipeline).")
@pass_app
def update_cmd(
    app: AppContext, no_harvest: bool, query_names: tuple[str, ...], email: str | None, workers: int, model: str | None
) -> None:
    """Harvest every saved query, extract evidence from new articles, refresh the findings.

    One command for cron: it takes the database's writer lock once (a second run exits 6
    at once instead of piling up), prints nothing on success with -q, and is safe to
    interrupt (what was committed stays; the next run continues). If PubMed cannot be
    reached, what was harvested is still extracted and ranked, then it exits 4. On a
    terminal it shows its progress on stderr; the first run says where it created the database.

    \b
    Exit codes: 0 ok, 3 bad setting (e.g. no NCBI e-mail) or articles the pipeline failed on, 4 PubMed unreachable,
    5 database error, 6 another run holds the lock, 130 interrupted.

    \b
    Example:
      NCBI_EMAIL=me@example.org pdacmine update
      pdacmine update --no-harvest        # offline: extract + rank only
      # crontab: every night at 02:17, mail only on failure
      17 2 * * *  NCBI_EMAIL=me@example.org /opt/pdacmine/venv/bin/pdacmine -q update
    """
    ws = workspace(app, ncbi_email=email).open()  # the first run creates the database and says where
    lines: list[str] = []

    def done(step: str, line: str) -> None:
        lines.append(f"{step}: {line}")
        if display is None:  # nothing on screen to wait for: say it now
            app.say(lines.pop())

    with stop_signal_as_interrupt():  # kill (SIGTERM) ends a run like Ctrl-C
        try:
            with update_display(not app.quiet and stderr_is_terminal()) as display:
                on = UpdateProgress(
                    step=display.step if display else None,
                    harvest=display.harvest if display else None,
                    extract=display.extract if display else None,
                    done=done,
                )
                ws.update(harvest=not no_harvest, queries=query_names, workers=workers, model=model, progress=on)
        finally:
            for line in lines:  # shown once the progress display has gone
                app.say(line)


COMMANDS: list[click.Command] = [update_cmd]
