"""CLI commands: ``harvest``, ``queries`` (saved searches) and ``searches`` (the PRISMA-S search log)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from pdacmine.cli.context import AppContext, count, pass_app, workspace
from pdacmine.cli.signals import stop_signal_as_interrupt
from pdacmine.db import harvest as db
from pdacmine.db.engine import session_scope
from pdacmine.jobs.harvest import MAX_BATCH, Progress, ensure_default_query
from pdacmine.miner.export import write_csv
from pdacmine.miner.pubmed_query import check_query_name, check_term, parse_date


def _progress_printer(app: AppContext) -> Callable[[Progress], None] | None:
    if app.quiet or not sys.stderr.isatty():
        return None

    def show(p: Progress) -> None:
        click.echo(f"\r{p.query_name}: {p.fetched:,}/{p.hits:,} records", err=True, nl=False)

    return show


@click.command("harvest")
@click.option(
    "--query", "query_names", metavar="NAME", multiple=True, help="Saved query to run (repeatable; default all)."
)
@click.option("--since", metavar="YYYY/MM/DD", help="First [crdt] day to read (default: watermark minus overlap).")
@click.option("--until", metavar="YYYY/MM/DD", help="Last [crdt] day to read (default: today).")
@click.option(
    "--batch-size", default=500, show_default=True, type=click.IntRange(1, MAX_BATCH), help="Records per EFetch."
)
@click.option("--email", metavar="ADDRESS", help="E-mail sent to NCBI  [env NCBI_EMAIL]")
@click.option("--api-key", metavar="KEY", help="NCBI API key, 10 instead of 3 requests/s  [env NCBI_API_KEY]")
@click.option("--eutils-url", metavar="URL", help="E-utilities base URL  [env PDACMINE_EUTILS_URL]")
@pass_app
def harvest_cmd(
    app: AppContext,
    query_names: tuple[str, ...],
    since: str | None,
    until: str | None,
    batch_size: int,
    email: str | None,
    api_key: str | None,
    eutils_url: str | None,
) -> None:
    """Fetch new and changed PubMed records for the saved queries.

    Each run reads the [crdt] days since the query's watermark (minus a 7-day overlap; the first run
    reads everything), stores records by PMID (re-running is harmless) and writes a search-log row
    (see `pdacmine searches`). An interrupted run keeps what it committed; the next run completes it.
    A PMID the search lists but E-utilities never returns fails the run (exit 4) until it has stayed
    missing in harvest_give_up_runs runs (default 3); then it is recorded as failed and the run
    completes. A second harvest on the same database exits at once with code 6.

    \b
    Example:
      export NCBI_EMAIL=me@example.org NCBI_API_KEY=...
      pdacmine harvest                              # every saved query, incrementally
      pdacmine harvest --query pdac-metastasis --since 2024/01/01 --until 2024/06/30
      pdacmine -q harvest                           # cron: silent unless it fails
    """
    ws = workspace(app, ncbi_email=email, ncbi_api_key=api_key, eutils_url=eutils_url)
    first = parse_date(since, "--since") if since else None
    last = parse_date(until, "--until") if until else None
    progress = _progress_printer(app)
    with stop_signal_as_interrupt():
        try:  # ConfigError (exit 3) without an NCBI e-mail, before the database is opened
            summaries = ws.harvest(query_names, since=first, until=last, batch_size=batch_size, on_progress=progress)
        finally:
            if progress is not None:
                click.echo("", err=True)
    for summary in summaries:
        app.say(summary.line())


@click.group("queries")
def queries_group() -> None:
    """Saved PubMed searches that `pdacmine harvest` runs (the built-in one is pdac-metastasis)."""


@queries_group.command("add")
@click.argument("name")
@click.argument("term")
@click.option("--note", help="Why this search exists, where it comes from (PRISMA-S item 11).")
@click.option(
    "--overlap-days", default=7, show_default=True, type=click.IntRange(0, 365), help="Days re-read each run."
)
@click.option("--replace", is_flag=True, help="Change the term of an existing query (its next run re-reads all dates).")
@pass_app
def queries_add(app: AppContext, name: str, term: str, note: str | None, overlap_days: int, replace: bool) -> None:
    """Save a PubMed search term under NAME.

    \b
    Example:
      pdacmine queries add pdac-liver \\
        '("Pancreatic Neoplasms"[mh] OR PDAC[tiab]) AND "Liver Neoplasms/secondary"[mh]' \\
        --note "liver-only update search"
    """
    check_query_name(name)
    cleaned = check_term(term)
    ensure_default_query(app.engine)
    with session_scope(app.engine) as session:
        db.add_query(session, name, cleaned, note=note, overlap_days=overlap_days, replace=replace)
    app.say(f"{'replaced' if replace else 'saved'} query {name}")


@queries_group.command("list")
@pass_app
def queries_list(app: AppContext) -> None:
    """List the saved queries with their watermark and last run.

    \b
    Example:
      pdacmine queries list
    """
    ensure_default_query(app.engine)
    with session_scope(app.engine) as session:
        queries = db.list_queries(session)
        last = db.last_runs(session)
    click.echo(f"{'name':<24} {'watermark':<10} {'overlap':>7}  {'last run':<28} note")
    for q in queries:
        run = last.get(q.name)
        shown = f"{run.started_at:%Y-%m-%d %H:%M} {run.status}" if run else "never"
        mark = q.watermark.strftime("%Y/%m/%d") if q.watermark else "-"
        note = ("[built-in] " if q.builtin else "") + (q.note or "")
        click.echo(f"{q.name:<24} {mark:<10} {q.overlap_days:>6}d  {shown:<28} {note}")


@queries_group.command("show")
@click.argument("name")
@pass_app
def queries_show(app: AppContext, name: str) -> None:
    """Print a saved query's term exactly as it is sent, and its settings.

    \b
    Example:
      pdacmine queries show pdac-metastasis
    """
    ensure_default_query(app.engine)
    with session_scope(app.engine) as session:
        q = db.get_query(session, name)
    click.echo(f"name:      {q.name}{' (built-in)' if q.builtin else ''}")
    click.echo(f"watermark: {q.watermark.strftime('%Y/%m/%d') if q.watermark else '- (next run reads all dates)'}")
    click.echo(f"overlap:   {q.overlap_days} days")
    if q.note:
        click.echo(f"note:      {q.note}")
    click.echo(f"term:      {q.term}")


@queries_group.command("remove")
@click.argument("name")
@pass_app
def queries_remove(app: AppContext, name: str) -> None:
    """Delete a saved query (its search-log rows are kept; the built-in one cannot be removed).

    \b
    Example:
      pdacmine queries remove pdac-liver
    """
    ensure_default_query(app.engine)
    with session_scope(app.engine) as session:
        db.remove_query(session, name)
    app.say(f"removed query {name}")


@click.command("searches")
@click.option("--query", "query_name", metavar="NAME", help="Only runs of this saved query.")
@click.option("--status", type=click.Choice(db.RUN_STATUSES), help="Only runs with this status.")
@click.option("--limit", type=count(1), help="Newest N runs only.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--run", "run_id", type=count(1), help="Show one run in full (query as sent, PubMed's translation).")
@click.option("--pmids", is_flag=True, help="With --run: print the PMIDs the run identified, one per line.")
@pass_app
def searches_cmd(
    app: AppContext,
    query_name: str | None,
    status: str | None,
    limit: int | None,
    fmt: str,
    run_id: int | None,
    pmids: bool,
) -> None:
    """The search log: one row per harvest run (PRISMA-S: database, query as run, date, hits).

    \b
    Example:
      pdacmine searches --limit 10
      pdacmine searches --format csv > search-log.csv     # PRISMA-S appendix
      pdacmine searches --run 12 --pmids > run12.txt
    """
    if pmids and run_id is None:
        raise click.UsageError("--pmids needs --run ID (see the run ids in pdacmine searches)")
    with session_scope(app.engine) as session:
        if run_id is not None:
            runs = [db.get_run(session, run_id)]
            if pmids:
                for pmid in db.run_hits(session, run_id):
                    click.echo(pmid)
                return
        else:
            runs = db.list_runs(session, query_name=query_name, status=status, limit=limit)
        rows = db.search_log_rows(session, runs)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        write_csv(rows, db.LOG_COLUMNS, sys.stdout)
    elif run_id is not None:
        for key, value in rows[0].items():
            click.echo(f"{key + ':':<19} {'' if value is None else value}")
    else:
        _print_table(rows)


def _print_table(rows: list[dict[str, Any]]) -> None:
    click.echo(
        f"{'run':>5}  {'started (UTC)':<16}  {'query':<20} {'status':<11} {'window':<21} "
        f"{'hits':>7} {'new':>7} {'updated':>7} {'failed':>6}"
    )
    for r in rows:
        started = (r["started_at"] or "")[:16].replace("T", " ")
        window = f"{r['mindate'] or ''}-{r['maxdate'] or ''}"
        click.echo(
            f"{r['id']:>5}  {started:<16}  {r['query_name']:<20} {r['status']:<11} {window:<21} "
            f"{r['hits']:>7,} {r['new']:>7,} {r['updated']:>7,} {r['failed']:>6,}"
        )
        if r["error"]:
            click.echo(f"{'':>7}{r['error']}")
    if not rows:
        click.echo("(no search runs yet: run pdacmine harvest)")


COMMANDS: list[click.Command] = [harvest_cmd, queries_group, searches_cmd]
