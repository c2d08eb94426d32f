"""CLI: ``rank`` (recompute findings, or explain one score)."""

from __future__ import annotations

import json
import logging

import click

from pdacmine.cli.context import MAX_NUMBER, AppContext, pass_app, workspace
from pdacmine.db.engine import session_scope
from pdacmine.db.explain import explain_json, explain_lines
from pdacmine.db.finding_lookup import explain_finding, get_finding

logger = logging.getLogger(__name__)


def _finding_ref(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A finding id beyond any id is a usage error (exit 2), like every other number out of range."""
    if value is not None and value.strip().isascii() and value.strip().isdigit() and int(value) > MAX_NUMBER:
        raise click.BadParameter(f"{value} is not a finding id (ids go up to {MAX_NUMBER:,})")
    return value


@click.command("rank")
@click.option("--explain", "ref", metavar="FINDING", callback=_finding_ref,
              help="Show how one finding's score is made (its id, as in the query table, or its key).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def rank_cmd(app: AppContext, ref: str | None, fmt: str) -> None:
    """Recompute every finding's score from its evidence, or explain one score.

    Extraction and review keep findings current on their own; run this after changing
    the weights. To change them, put the ones you want in rank_weights.json in the config
    dir (see `pdacmine config`; PDACMINE_WEIGHTS names another file), e.g.
    {"hedged": 0.5, "study_type": {"review": 0.1}}; the others keep their shipped values.
    The formula and the weights are in the README section "Findings and ranking".

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
    app.say(f"ranked {workspace(app).rank().line()}")


COMMANDS: list[click.Command] = [rank_cmd]
