"""CLI: ``export findings|evidence|articles|searches`` for systematic reviews, and ``prisma`` flow counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from pdacmine.cli.context import AppContext, count, open_output, pass_app, plural, workspace
from pdacmine.cli.query import command_filters, filter_options
from pdacmine.db import harvest
from pdacmine.db import query as q
from pdacmine.db.engine import session_scope
from pdacmine.db.exports import ARTICLE_SORTS, prisma_counts
from pdacmine.miner.export import ARTICLE_FORMATS, BOM_FORMATS, WRITERS
from pdacmine.miner.prisma import prisma_document, summary_lines, write_template_csv

_output = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default: stdout)."
)
_bom = click.option(
    "--bom", is_flag=True, help="Start CSV/TSV with a UTF-8 byte-order mark so that Excel reads accents right."
)


def _bom_for(fmt: str, bom: bool) -> bool:
    """``--bom`` only for CSV/TSV: JSON parsers reject it and ASReview keeps it in the first column name."""
    if bom and fmt not in BOM_FORMATS:
        why = "ASReview would keep it in its first column name" if fmt == "asreview-csv" else "it only helps Excel"
        click.echo(f"pdacmine: --bom ignored for --format {fmt}: {why} (CSV and TSV only)", err=True)
        return False
    return bom


def _done(app: AppContext, n: int, what: str, path: Path | None) -> None:
    """On stderr: what was written where (``wrote 1 article to x.ris``), unless --quiet."""
    if not app.quiet:
        click.echo(f"wrote {plural(n, what)}" + (f" to {path}" if path else ""), err=True)


@click.group("export")
def export_group() -> None:
    """Export findings, evidence or articles (same filters as query), or the search log.

    Every format streams: memory stays flat however many rows there are.
    """


def _export_command(level: str, formats: tuple[str, ...], sorts: dict[str, Any], default_sort: str, doc: str) -> Any:
    @export_group.command(level, help=doc)
    @filter_options
    @click.option("--format", "fmt", type=click.Choice(formats), default="csv", show_default=True)
    @click.option("--sort", type=click.Choice(sorted(sorts)), default=default_sort, show_default=True)
    @click.option("--limit", type=count(0), help="At most N rows.")
    @_output
    @_bom
    @pass_app
    def command(
        app: AppContext, fmt: str, sort: str, limit: int | None, output: Path | None, bom: bool, **kw: Any
    ) -> None:
        filters = command_filters(app, kw)
        ws = workspace(app)
        with open_output(output, _bom_for(fmt, bom)) as out:
            n = ws.export(level, out, fmt=fmt, filters=filters, sort=sort, limit=limit)
        _done(app, n, {"findings": "finding", "evidence": "evidence row", "articles": "article"}[level], output)

    return command


_export_command(
    "findings",
    tuple(WRITERS),
    q.FINDING_SORTS,
    "score",
    """Ranked findings with their counts and best PMIDs, one row per finding.

    \b
    Example:
      pdacmine export findings --organ liver --min-papers 2 -o liver-findings.csv --bom
    """,
)
_export_command(
    "evidence",
    tuple(WRITERS),
    q.EVIDENCE_SORTS,
    "id",
    """The data-extraction table: one row per evidence sentence with PMID, DOI, study design,
    metastatic site (UBERON, MeSH), stage, mechanism, therapy, direction, the sentence and its
    review status.

    \b
    Example:
      pdacmine export evidence --status accepted --format csv -o extraction-table.csv
      pdacmine export evidence --organ lung --format jsonl | gzip > lung.jsonl.gz
    """,
)
_export_command(
    "articles",
    ARTICLE_FORMATS,
    ARTICLE_SORTS,
    "pmid",
    """Articles for screening tools and reference managers.

    ris imports into Rayyan, Covidence, Zotero, EndNote and ASReview; rayyan-csv and
    asreview-csv have exactly the columns those tools read. The labels come from record
    screening (`pdacmine screen`): asreview-csv "included" is 1 for a final include, 0 for a
    final exclude, empty otherwise; RIS notes carry ASReview_relevant / ASReview_irrelevant /
    ASReview_not_seen and Rayyan's RAYYAN-INCLUSION form. With facet filters, an article is
    exported when one of its evidence sentences matches. --bom applies to csv and tsv only.

    \b
    Example:
      pdacmine export articles --organ peritoneum --format ris -o peritoneum.ris
      pdacmine export articles --since 2020 --format rayyan-csv -o rayyan.csv
    """,
)


LOG_FORMATS = ("csv", "tsv", "json", "jsonl")


def _search_log(session: Session) -> list[dict[str, Any]]:
    """The PRISMA-S search log, oldest run first, with the columns of ``pdacmine searches``."""
    return harvest.search_log_rows(session, list(reversed(harvest.list_runs(session))))


@export_group.command("searches")
@click.option("--format", "fmt", type=click.Choice(LOG_FORMATS), default="csv", show_default=True)
@_output
@_bom
@pass_app
def export_searches(app: AppContext, fmt: str, output: Path | None, bom: bool) -> None:
    """The search log for the PRISMA-S appendix: every harvest run with the query exactly as sent,
    PubMed's translation, the date window, when it ran and what it found.

    \b
    Example:
      pdacmine export searches -o search-log.csv
    """
    ws = workspace(app)
    with open_output(output, _bom_for(fmt, bom)) as out:
        n = ws.export("searches", out, fmt=fmt)
    _done(app, n, "search run", output)


@click.command("prisma")
@click.option("--format", "fmt", type=click.Choice(["csv", "text", "json"]), default="csv", show_default=True,
              help="csv: the PRISMA2020 template (Shiny app / R package); text: a readable flow.")  # fmt: skip
@click.option("--automation-excludes", is_flag=True,
              help="Count unscreened records where pdacmine found no evidence as excluded by automation.")  # fmt: skip
@click.option("--search-log", is_flag=True, help="Write the PRISMA-S search log instead (as export searches).")
@_output
@_bom
@pass_app
def prisma_cmd(
    app: AppContext, fmt: str, automation_excludes: bool, search_log: bool, output: Path | None, bom: bool
) -> None:
    """PRISMA 2020 flow-diagram counts, straight from the database.

    Identified per search and per source, duplicates removed, removed for other reasons,
    screened (records a person decided with `pdacmine screen` or an imported decision file),
    excluded by people per reason, awaiting screening (stated), included. Records are only
    counted as excluded by automation when you choose --automation-excludes. Every row of the
    PRISMA2020 template has a number or a stated reason; the csv loads into the PRISMA2020
    Shiny app. The text format also says how screening was done and prioritised (PRISMA-S).

    \b
    Example:
      pdacmine prisma --format text
      pdacmine prisma -o prisma.csv
      pdacmine prisma --search-log -o search-log.csv
    """
    if search_log:
        with session_scope(app.engine) as session:
            rows = _search_log(session)
        with open_output(output, bom) as out:
            n = WRITERS["csv"](rows, harvest.LOG_COLUMNS, out)
        _done(app, n, "search run", output)
        return
    bom = _bom_for(fmt, bom)
    with app.engine.connect() as conn:
        counts = prisma_counts(conn, automation_excludes=automation_excludes)
    with open_output(output, bom) as out:
        if fmt == "csv":
            write_template_csv(counts, out)
        elif fmt == "json":
            out.write(json.dumps(prisma_document(counts), indent=2) + "\n")
        else:
            out.write("\n".join(summary_lines(counts)) + "\n")
    if output is not None and not app.quiet:
        click.echo(
            f"wrote the PRISMA 2020 flow counts ({plural(counts.identified_distinct, 'record')} identified, "
            f"{counts.included:,} included) to {output}",
            err=True,
        )


COMMANDS: list[click.Command] = [export_group, prisma_cmd]
