"""CLI commands: ``review`` (interactive loop) and ``review export/import/log/status/undo``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from pdacmine.cli import query
from pdacmine.cli.context import AppContext, count, open_output, pass_app, plural
from pdacmine.db.engine import session_scope
from pdacmine.db.filters import Filters
from pdacmine.db.review_audit import audit_log
from pdacmine.db.review_decisions import refresh_rankings, undo_last
from pdacmine.db.review_queue import iter_items, review_counts
from pdacmine.db.review_sheet import apply_sheet, sheet_row, unknown_keys
from pdacmine.errors import InputError
from pdacmine.miner.export import write_csv
from pdacmine.miner.nlp.vocab import default_vocabulary
from pdacmine.miner.review_sheet import parse_sheet, write_sheet
from pdacmine.miner.sources.records import parse_record_key

#: How many bad rows of an import file are listed before "... and N more".
MAX_ERRORS = 20
LOG_COLUMNS = ("id", "at", "reviewer", "action", "pmid", "evidence_key", "change", "note", "reverts")


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The query filters but --min-papers and --status (the review shows evidence of any status)."""
    return query.filter_options(func, exclude=("min_papers", "status"))


def make_filters(engine: Engine, given: dict[str, Any]) -> Filters | None:
    """Resolve what the user typed through the vocabulary (unknown terms: exit 3 with did-you-mean);
    None when no filter was given."""
    if not any(given.values()):
        return None
    with session_scope(engine) as session:
        return query.take_filters(session, given)


def reviewer_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--reviewer", metavar="NAME", help="Name recorded with your decisions  [env PDACMINE_REVIEWER; default login]"
    )(func)


def _reviewer(app: AppContext, given: str | None) -> str:
    """``--reviewer`` of the command or of ``review``, else the setting (env, config file, login)."""
    return app.settings(reviewer=given or click.get_current_context().meta.get("pdacmine.reviewer")).reviewer


@click.group("review", invoke_without_command=True)
@reviewer_option
@filter_options
@click.option("--limit", type=count(1), help="Stop after this many items.")
@click.pass_context
def review_group(ctx: click.Context, reviewer: str | None, limit: int | None, **filters: Any) -> None:
    """Accept, reject or correct extracted evidence, highest-ranked first.

    Shows one sentence at a time with its entities highlighted and the extracted tuple
    (mechanism, stage, organ, therapy, polarity...). Keys: a accept, r reject, c correct a
    slot, n note, s skip, u undo your last decision, q quit, ? help. Every decision is saved
    at once with your name and time in an append-only audit trail; run it again to resume
    (skipped items come back). Two reviewers can work at once: if someone changed an item
    while you looked at it, you are shown their decision instead of overwriting it.

    \b
    Example:
      pdacmine review --reviewer alice --organ liver
      pdacmine review export --csv todo.csv     # or review in a spreadsheet
      pdacmine review import todo.csv
      pdacmine review log --pmid 12345678
    """
    if reviewer:
        ctx.meta["pdacmine.reviewer"] = reviewer
    if ctx.invoked_subcommand is not None:
        return
    from pdacmine.cli.review_loop import ReviewLoop

    app = ctx.find_object(AppContext)
    assert app is not None
    ReviewLoop(app.engine, _reviewer(app, reviewer), make_filters(app.engine, filters), limit).run()


@review_group.command("export")
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="File to write ('-' for stdout).")  # fmt: skip
@click.option("--all", "include_all", is_flag=True, help="Include reviewed items with their current decision.")
@click.option("--bom", is_flag=True, help="Start with a UTF-8 byte order mark so Excel reads accents correctly.")
@filter_options
@pass_app
def export_command(app: AppContext, csv_path: Path, include_all: bool, bom: bool, **given: Any) -> None:
    """Write unreviewed evidence to a CSV file for review in a spreadsheet, ranked order.

    Fill in the decision column (accept / reject, or leave it empty), optionally
    corrected_mechanism / _stage / _organ / _therapy / _polarity (a vocabulary concept, or
    'none' to clear the slot) and a note, then load it with `pdacmine review import`.
    The revision column lets the import notice decisions someone made after the export.

    \b
    Example:
      pdacmine review export --csv liver.csv --organ liver --bom
      pdacmine review export --csv everything.csv --all
    """
    filters = make_filters(app.engine, given)
    to_stdout = str(csv_path) == "-"
    with session_scope(app.engine) as session, open_output(csv_path, bom and not to_stdout) as out:
        n = write_sheet((sheet_row(item) for item in iter_items(session, filters, include_reviewed=include_all)), out)
    if not to_stdout and not app.quiet:
        click.echo(f"wrote {plural(n, 'item')} to {csv_path}", err=True)


@review_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reviewer_option
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@click.option("--force", is_flag=True, help="Apply rows without a revision even over someone else's decision.")
@pass_app
def import_command(app: AppContext, file: Path, reviewer: str | None, dry_run: bool, force: bool) -> None:
    """Apply the decisions of a review spreadsheet, all or nothing.

    Every row is checked first: unknown evidence_key, a decision other than accept / reject /
    empty, an unknown concept in a corrected_* column (with "did you mean"), a repeated key.
    If any row is bad, all problems are listed by line number and NOTHING is applied (exit 3);
    fix the file and run again. A valid file is applied in one transaction. Rows without a
    decision, corrections or note are ignored. If someone changed an item after the export
    (its revision), nothing is applied either (exit 7): export again. A row without a revision
    that would change someone's decision is such a conflict too, unless --force is given.

    \b
    Example:
      pdacmine review import --reviewer alice liver.csv
      pdacmine review import --dry-run liver.csv
    """
    try:  # newline="": the csv module alone decides where a row ends (quoted cells keep \x0c, \x85, U+2028)
        with file.open(encoding="utf-8-sig", newline="") as fh:
            rows, problems = parse_sheet(fh, default_vocabulary(), str(file))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} is not UTF-8 text; in Excel use Save As 'CSV UTF-8'") from exc
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    engine = app.engine
    with session_scope(engine) as session:
        unknown = unknown_keys(session, [r.evidence_key for r in rows])
    for row in rows:
        if row.evidence_key in unknown:
            problems.add(row.line, f"unknown evidence_key {row.evidence_key}")
    if problems:
        errors = sorted(problems.errors)
        for line, reason in errors[:MAX_ERRORS]:
            click.echo(f"{file}, line {line}: {reason}", err=True)
        if len(errors) > MAX_ERRORS:
            click.echo(f"... and {len(errors) - MAX_ERRORS} more", err=True)
        raise InputError(f"{file}: {len(errors)} problem(s) listed above; nothing was applied")
    name = _reviewer(app, reviewer)
    summary = apply_sheet(
        engine, rows, reviewer=name, session_id=f"import:{file.name}"[:40], dry_run=dry_run, force=force
    )
    if not dry_run:
        refresh_rankings(engine, summary.article_ids)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(summary.actions.items())) or "nothing"
    verb = "would apply" if dry_run else f"applied as {name}"
    app.say(
        f"{file}: {verb}: {parts}; {summary.unchanged} unchanged, "
        f"{summary.ignored} row(s) without a decision ignored ({summary.rows} rows)"
    )


@review_group.command("log")
@click.option("--pmid", help="Only this article.")
@click.option("--reviewer", help="Only this reviewer.")
@click.option("--key", "evidence_key", metavar="PREFIX", help="Only this evidence key (a prefix is enough).")
@click.option("--limit", type=count(1), help="Only the newest N entries.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table", show_default=True)
@pass_app
def log_command(
    app: AppContext, pmid: str | None, reviewer: str | None, evidence_key: str | None, limit: int | None, fmt: str
) -> None:
    """List the review audit trail, oldest first: who did what, when, old -> new.

    \b
    Example:
      pdacmine review log --pmid 12345678
      pdacmine review log --reviewer alice --format csv > alice.csv
    """
    with session_scope(app.engine) as session:
        key = (parse_record_key(pmid) or pmid.strip()) if pmid else None
        entries = audit_log(session, pmid=key, reviewer=reviewer, evidence_key=evidence_key, limit=limit)
    if fmt == "jsonl":
        for e in entries:
            doc = {
                "id": e.id, "at": e.at.isoformat(), "reviewer": e.reviewer, "action": e.action, "pmid": e.pmid,
                "evidence_key": e.evidence_key, "old": e.old, "new": e.new, "note": e.note, "reverts": e.reverts,
                "session": e.session,
            }  # fmt: skip
            click.echo(json.dumps(doc, ensure_ascii=False, sort_keys=True))
        return
    if fmt == "csv":
        rows = (
            {"id": e.id, "at": e.at.isoformat(), "reviewer": e.reviewer, "action": e.action, "pmid": e.pmid,
             "evidence_key": e.evidence_key, "change": e.change, "note": e.note, "reverts": e.reverts}
            for e in entries
        )  # fmt: skip
        with open_output(None) as out:
            write_csv(rows, LOG_COLUMNS, out)
        return
    if not entries:
        click.echo("no review decisions recorded yet", err=True)
        return
    width = max(10, *(len(e.pmid) for e in entries))  # doi:... keys of records without a PMID are longer
    click.echo(f"{'id':>5}  {'at (UTC)':<16}  {'reviewer':<12} {'action':<8} {'pmid':<{width}} {'key':<12}  change")
    for e in entries:
        at = e.at.strftime("%Y-%m-%d %H:%M")
        extra = f" (reverts #{e.reverts})" if e.reverts else ""
        note = f"  note: {e.note}" if e.note else ""
        click.echo(
            f"{e.id:>5}  {at:<16}  {e.reviewer[:12]:<12} {e.action:<8} {e.pmid:<{width}} {e.evidence_key[:12]:<12}  "
            f"{e.change}{extra}{note}"
        )


@review_group.command("status")
@filter_options
@pass_app
def status_command(app: AppContext, **given: Any) -> None:
    """How much evidence is unreviewed, accepted (and corrected) or rejected.

    \b
    Example:
      pdacmine review status --organ liver
    """
    with session_scope(app.engine) as session:
        c = review_counts(session, make_filters(app.engine, given))
    app.say(
        f"{c['total']} item(s): {c['unreviewed']} unreviewed, {c['accepted']} accepted "
        f"({c['corrected']} corrected), {c['rejected']} rejected"
    )


@review_group.command("undo")
@reviewer_option
@pass_app
def undo_command(app: AppContext, reviewer: str | None) -> None:
    """Revert your last review decision (run again to go further back); recorded in the audit trail.

    \b
    Example:
      pdacmine review undo --reviewer alice
    """
    outcome = undo_last(app.engine, _reviewer(app, reviewer), session_id="cli:undo")
    refresh_rankings(app.engine, [outcome.article_id] if outcome.article_id is not None else [])
    app.say(f"undone: evidence {outcome.evidence_key[:12]} is {outcome.state.status or 'unreviewed'} again")


COMMANDS: list[click.Command] = [review_group]
