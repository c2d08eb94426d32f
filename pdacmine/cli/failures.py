"""CLI command ``failures``: which records pdacmine failed on (harvest, import, extract), and why."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from pdacmine.cli.context import AppContext, open_output, pass_app, plural, workspace
from pdacmine.db.failures import COLUMNS, KINDS, FailedRecord
from pdacmine.miner.export import one_line, write_json, write_tsv
from pdacmine.miner.pubmed_query import parse_date

FORMATS = ("table", "tsv", "json")


@click.command("failures")
@click.option("--since", metavar="YYYY/MM/DD", help="Only failures recorded on or after this day (UTC).")
@click.option("--kind", type=click.Choice(KINDS), multiple=True,
              help="Only this kind (repeatable): harvest, import or extract  [default: all]")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default: stdout)."
)
@pass_app
def failures_command(app: AppContext, since: str | None, kind: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """List the records pdacmine failed on, newest first, with the reason.

    One row per failure: its kind, the record (PMID; empty when the record had none), where it
    came from (the imported file, "search run N", the extractor version), when (UTC) and why.
    TSV cells are guarded against spreadsheet formulas. Nothing failed: "no failed records", exit 0.

    \b
    Kinds:
      harvest   an EFetch record that would not parse, or a PMID NCBI never returned
                (given up after harvest_give_up_runs runs of its query)
      import    a record of an imported file that would not parse
      extract   an article the NLP pipeline failed on (retried after an extractor upgrade)

    \b
    Example:
      pdacmine failures
      pdacmine failures --since 2026/01/01 --kind harvest
      pdacmine failures --format tsv -o failures.tsv     # for a spreadsheet
    """
    first = parse_date(since, "--since") if since else None
    found = workspace(app).failures(since=first, kinds=kind or None)
    if not found and fmt == "table":
        app.say("no failed records")
        return
    with open_output(output) as out:
        if fmt == "table":
            _table(found, out)
        else:
            (write_json if fmt == "json" else write_tsv)((f.row() for f in found), COLUMNS, out)
    if not found and not app.quiet:
        click.echo("no failed records", err=True)  # stdout holds the (empty) TSV or JSON
    elif found and output is not None:
        app.say(f"wrote {plural(len(found), 'failed record')} to {output}")


def _table(found: list[FailedRecord], out: TextIO) -> None:
    record = max(6, *(len(f.record) for f in found))
    source = max(6, *(len(one_line(f.source)) for f in found))
    out.write(f"{'at (UTC)':<16}  {'kind':<7}  {'record':<{record}}  {'source':<{source}}  reason\n")
    for f in found:
        at = f.at.strftime("%Y-%m-%d %H:%M")
        out.write(
            f"{at:<16}  {f.kind:<7}  {f.record:<{record}}  {one_line(f.source):<{source}}  {one_line(f.reason)}\n"
        )


COMMANDS: list[click.Command] = [failures_command]
