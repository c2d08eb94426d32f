"""CLI commands: ``import`` (PubMed XML, RIS, MEDLINE text, PubMed CSV, ASReview/Rayyan CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pdacmine.cli.context import AppContext, pass_app, workspace
from pdacmine.cli.signals import stop_signal_as_interrupt
from pdacmine.db.articles import StoreCounts
from pdacmine.jobs.importer import FileSummary
from pdacmine.jobs.sources import SourceSummary
from pdacmine.miner.sources import FORMATS


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Records per transaction; an interruption keeps every committed batch.")  # fmt: skip
@click.option("--force", is_flag=True, help="Re-apply files already recorded as imported.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Read every FILE as this format instead of detecting it from the content.")  # fmt: skip
@click.option("--database", default=None, metavar="NAME",
              help="Source database of RIS/CSV records (Embase, Scopus...) if the file does not say.")  # fmt: skip
@click.option("--search", default=None, metavar="LABEL",
              help="The search the exports came from (a name or the query), for PRISMA per-search counts.")  # fmt: skip
@pass_app
def import_files_command(
    app: AppContext,
    files: tuple[Path, ...],
    batch_size: int,
    force: bool,
    fmt: str | None,
    database: str | None,
    search: str | None,
) -> None:
    """Import PubMed XML, or exports from Embase, Scopus, Web of Science, Cochrane, ASReview, Rayyan.

    Formats, detected from the content (the extension only breaks ties; --format forces one):
    PubMed XML (baseline/update files, saved EFetch output; plain or gzipped), RIS (.ris),
    PubMed's "PubMed format"/MEDLINE text (.nbib, .txt), PubMed's CSV export, and ASReview or
    Rayyan CSV (any CSV/TSV with a title or abstract column).

    RIS, MEDLINE and CSV records keep their source (database, file, format, --search label);
    records without an abstract are kept and counted, records without a PMID are first-class
    (they are named doi:<DOI> or record:<id> in evidence). A record whose PMID is already
    stored is attached to that article as one more source and never overwrites it. Such a
    file is applied as a whole or not at all: a malformed one stops with one line naming the
    file and line (exit 3), files before it stay imported. Run `pdacmine dedup` afterwards to
    merge the same study found in several databases. PubMed XML files are applied first.

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
      pdacmine import --database Embase --search "embase-2026-01" embase.ris
      pdacmine import pubmed-result.nbib csv-pdacmetast-set.csv asreview.csv
    """
    ws = workspace(app)
    show_progress = not app.quiet and sys.stderr.isatty()

    def progress(name: str, counts: StoreCounts) -> None:
        click.echo(f"\r{name}: {counts.records:,} records...", nl=False, err=True)

    def report(summary: FileSummary | SourceSummary) -> None:
        if show_progress:
            click.echo("\r\x1b[K", nl=False, err=True)
        app.say(summary.line())

    try:
        with stop_signal_as_interrupt():
            summaries = ws.import_files(
                files,
                fmt=fmt,
                database=database,
                search=search,
                batch_size=batch_size,
                force=force,
                on_progress=progress if show_progress else None,
                on_file=report,
            )
    finally:
        if show_progress:
            click.echo("\r\x1b[K", nl=False, err=True)
    done = [s for s in summaries if isinstance(s, FileSummary) and not s.skipped]
    if len(done) > 1:
        total = sum((s.counts for s in done), StoreCounts())
        app.say(f"total ({len(done)} files): {total.summary()}")


COMMANDS: list[click.Command] = [import_files_command]
