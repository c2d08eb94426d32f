"""CLI command ``extract``: run the extraction pipeline over the articles in the database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pdacmine.cli.context import AppContext, pass_app, workspace
from pdacmine.cli.signals import stop_signal_as_interrupt


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (only on a terminal) fed by ``on_progress(done, total)``."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("extract", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.command("extract")
@click.option("--all", "all_", is_flag=True, help="Re-extract every article, not only new, changed or outdated ones.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes running the pipeline (the main process writes to the database).")  # fmt: skip
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1, 10_000),
              help="Articles per transaction; an interruption keeps every committed batch.")  # fmt: skip
@click.option("--model", metavar="NAME", help="Installed spaCy/scispaCy model to run first (default: none needed).")
@pass_app
def extract_command(app: AppContext, all_: bool, workers: int, batch_size: int, model: str | None) -> None:
    """Extract mechanism-stage-organ-therapy evidence from the stored abstracts.

    Processes every article not yet extracted by the current extractor version
    (pdacmine version + vocabulary + rules) or updated since its last extraction, and
    replaces its evidence rows; review decisions survive because evidence keys are stable.
    After a vocabulary or rules change the version changes and the next run re-extracts
    everything; --all forces it. Deleted articles are skipped. Findings are re-ranked for
    the articles that changed. An article the pipeline fails on (e.g. a text too long for
    spaCy) is marked failed with its reason and the others go on; the run then exits 3 naming
    the failed PMIDs, which are tried again after the next extractor upgrade.

    \b
    Example:
      pdacmine extract                      # new and changed articles
      pdacmine extract --all --workers 2    # everything, on two cores
      PDACMINE_VOCAB=my_terms.tsv pdacmine extract
    """
    ws = workspace(app)
    show = not app.quiet and sys.stderr.isatty()
    with stop_signal_as_interrupt(), progress_bar(enabled=show) as progress:
        summary = ws.extract(everything=all_, workers=workers, batch_size=batch_size, model=model, on_progress=progress)
    if summary.pending == 0:
        app.say(f"nothing to extract: every article is up to date (extractor {summary.extractor_version})")
    else:
        app.say(
            f"extracted {summary.articles:,} article(s): {summary.evidence:,} evidence tuple(s) "
            f"in {summary.seconds:.1f} s (extractor {summary.extractor_version})"
        )
    failure = summary.failure()
    if failure is not None:
        raise failure


COMMANDS: list[click.Command] = [extract_command]
