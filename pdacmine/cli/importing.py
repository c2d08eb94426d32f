"""CLI commands: ``import`` (PubMed baseline/update files and saved EFetch XML)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pdacmine.cli.context import AppContext, pass_app, workspace
from pdacmine.cli.signals import stop_signal_as_interrupt
from pdacmine.db.articles import StoreCounts


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Records per transaction; an interruption keeps every committed batch.")  # fmt: skip
@click.option("--force", is_flag=True, help="Re-apply files already recorded as imported.")
@pass_app
def import_files_command(app: AppContext, files: tuple[Path, ...], batch_size: int, force: bool) -> None:
    """Import PubMed XML files: baseline and update files (.xml.gz) or saved EFetch XML.

    Files are applied in the order given, except that PubMed's baseline and update files
    (pubmedYYnNNNN.xml.gz) are sorted naturally among themselves: pubmed26n0001 before
    pubmed26n0002, the baseline before the update files. Plain or gzipped XML both work.

    Each record is upserted by PMID: a newer version replaces an older one, an older version
    never overwrites a newer one, and DeleteCitation marks the article deleted (kept for the
    audit trail, hidden from queries). Records that cannot be read are skipped, logged and
    kept in the record_errors table. A finished file is remembered by its SHA-256 and skipped
    next time, so re-running the same command is safe. Prints one line per file:
    new / updated / unchanged / deleted / failed.

    \b
    Example:
      pdacmine import baseline/pubmed26n*.xml.gz updatefiles/pubmed26n*.xml.gz
      pdacmine --db pdac.db import saved_efetch.xml
    """
    ws = workspace(app)
    show_progress = not app.quiet and sys.stderr.isatty()

    def progress(name: str, counts: StoreCounts) -> None:
        click.echo(f"\r{name}: {counts.records:,} records...", nl=False, err=True)

    try:
        with stop_signal_as_interrupt():
            summaries = ws.import_files(
                files, batch_size=batch_size, force=force, on_progress=progress if show_progress else None
            )
    finally:
        if show_progress:
            click.echo("\r\x1b[K", nl=False, err=True)
    for summary in summaries:
        app.say(summary.line())
    done = [s for s in summaries if not s.skipped]
    if len(done) > 1:
        total = sum((s.counts for s in done), StoreCounts())
        app.say(f"total ({len(done)} files): {total.summary()}")


COMMANDS: list[click.Command] = [import_files_command]
