"""CLI: ``rank`` (recompute findings, or explain one score)."""

from __future__ import annotations

import json
import logging
import time

import click
from sqlalchemy import Engine

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.db.engine import session_scope
from pdacmine.db.explain import explain_json, explain_lines
from pdacmine.db.findings import explain_finding, finding_count, get_finding, refresh_findings
from pdacmine.db.lock import writer_lock

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


COMMANDS: list[click.Command] = [rank_cmd]
