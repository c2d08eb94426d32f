"""CLI: ``rank`` (recompute findings, or explain one score) and ``update`` (the cron job)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import click
from sqlalchemy import Engine

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.db.engine import session_scope
from pdacmine.db.explain import explain_json, explain_lines
from pdacmine.db.findings import explain_finding, finding_count, get_finding, refresh_findings
from pdacmine.db.lock import writer_lock
from pdacmine.errors import NetworkError

logger = logging.getLogger(__name__)


@click.command("rank")
@click.option("--explain", "ref", metavar="FINDING", help="Show how one finding's score is made (its id or key).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def rank_cmd(app: AppContext, ref: str | None, fmt: str) -> None:
    """Recompute every finding's score from its evidence, or explain one score.

    Extraction and review keep findings current on their own; run this after changing
    the weights in rank_weights.json. The formula and weights are in the README
    ("How findings are ranked").

    \b
    Example:
      pdacmine rank
      pdacmine rank --explain 'granulin|colonization|liver|-'
      pdacmine rank --explain 42 --format json
    """
    if ref is not None:
        with session_scope(app.engine) as session:
            explanation = explain_finding(session, get_finding(session, ref))
            out = explain_json(explanation) if fmt == "json" else explain_lines(explanation)
        click.echo(json.dumps(out, indent=2, default=str) if fmt == "json" else "\n".join(out))
        return
    with writer_lock(app.engine):
        app.say(f"ranked {_rank_all(app.engine)}")


def _rank_all(engine: Engine) -> str:
    """Refresh every finding (the caller holds the writer lock); returns "N findings (...) in S s"."""
    began = time.monotonic()
    with session_scope(engine) as session:
        changed = refresh_findings(session)
        total = finding_count(session)
    return f"{total:,} findings ({changed:,} new, changed or removed) in {time.monotonic() - began:.1f} s"


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
    reached, what was harvested is still extracted and ranked, then it exits 4.

    \b
    Exit codes: 0 ok, 3 bad setting (e.g. no NCBI e-mail), 4 PubMed unreachable,
    5 database error, 6 another run holds the lock, 130 interrupted.

    \b
    Example:
      NCBI_EMAIL=me@example.org pdacmine update
      pdacmine update --no-harvest        # offline: extract + rank only
      # crontab: every night at 02:17, mail only on failure
      17 2 * * *  NCBI_EMAIL=me@example.org /opt/pdacmine/venv/bin/pdacmine -q update
    """
    from pdacmine.cli.harvest import stop_signal_as_interrupt  # kill (SIGTERM) ends a run like Ctrl-C

    settings = app.settings(ncbi_email=email)
    engine = app.engine
    failure: NetworkError | None = None
    with writer_lock(engine), stop_signal_as_interrupt():
        if not no_harvest:
            failure = _harvest(app, settings, query_names)
        _extract(app, workers, model)
        app.say(f"rank: {_rank_all(engine)}")
    if failure is not None:
        raise failure


def _harvest(app: AppContext, settings: Any, query_names: tuple[str, ...]) -> NetworkError | None:
    """Harvest; a network failure is returned (the rest of the update still runs), anything else raises."""
    from pdacmine.jobs import harvest as harvesting

    try:
        runs = harvesting.harvest(app.engine, settings, query_names=list(query_names) or None)
    except NetworkError as exc:
        click.echo(f"pdacmine: harvest failed, extracting and ranking what is stored: {exc}", err=True)
        return exc
    for run in runs:
        app.say(f"harvest: {run.line()}")
    return None


def _extract(app: AppContext, workers: int, model: str | None) -> None:
    from pdacmine.jobs import extract as extraction

    summary = extraction.extract_pending(app.engine, workers=workers, model=model)
    app.say(
        f"extract: {summary.articles:,} article(s), {summary.evidence:,} evidence sentence(s) "
        f"[{summary.extractor_version}] in {summary.seconds:.1f} s"
    )


COMMANDS: list[click.Command] = [rank_cmd, update_cmd]
