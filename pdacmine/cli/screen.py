"""CLI: ``screen`` (record-level title/abstract screening) and ``screen export/import/conflicts/resolve/
status/log/reasons``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from pdacmine.cli.context import AppContext, open_output, pass_app
from pdacmine.cli.review import filter_options, make_filters, reviewer_option
from pdacmine.db import screening as db
from pdacmine.db import screening_files as files
from pdacmine.db import screening_outcomes as outcomes
from pdacmine.db.engine import session_scope
from pdacmine.db.record_keys import keys_of
from pdacmine.errors import InputError
from pdacmine.miner.export import write_csv
from pdacmine.miner.screening import (
    DECISION_WORDS,
    EXCLUDE,
    FINAL_STATES,
    FORMATS,
    IN_PROGRESS,
    ORDERS,
    SHEET_COLUMNS,
    UNSCREENED,
    load_reasons,
    parse_decisions,
)
from pdacmine.miner.sources.records import record_label

MAX_ERRORS = 20
_SHOWN_ORDERS = sorted(set(ORDERS) - {"file"})
_order = click.option("--order", type=click.Choice(_SHOWN_ORDERS), default="evidence", show_default=True,
                      help="evidence: records with accepted or high-confidence pdacmine evidence first.")  # fmt: skip
_dual = click.option(
    "--dual", is_flag=True, help="Dual blind screening: every record needs two reviewers (recorded for the review)."
)


def _reviewer(app: AppContext, given: str | None) -> str:
    return app.settings(reviewer=given or click.get_current_context().meta.get("pdacmine.reviewer")).reviewer


def _required(app: AppContext, dual: bool) -> int:
    with session_scope(app.engine) as session:
        return db.required_for(session, dual)


@click.group("screen", invoke_without_command=True)
@reviewer_option
@_order
@_dual
@filter_options
@click.option("--limit", type=click.IntRange(1), help="Stop after this many records.")
@click.pass_context
def screen_group(ctx: click.Context, reviewer: str | None, order: str, dual: bool, limit: int | None,
                 **filters: Any) -> None:  # fmt: skip
    """Screen records (title and abstract): include, exclude with a reason, or maybe.

    Shows one record at a time with pdacmine's evidence for it. Keys: i include, e exclude
    (then a reason), m maybe, n note, s skip, u undo, q quit, ? help. Every decision is saved at
    once under your name with an append-only audit trail. With --dual every record needs two
    reviewers who see only their own decisions; disagreements are listed by `screen conflicts`
    and settled by a third reviewer with `screen resolve`. The order used is recorded for the
    PRISMA-S report (`pdacmine prisma --format text`).

    \b
    Example:
      pdacmine screen --reviewer alice --dual
      pdacmine screen export --reviewer bob --csv bob.csv    # or screen in a spreadsheet
      pdacmine screen import --reviewer bob bob.csv
      pdacmine screen conflicts
    """
    if reviewer:
        ctx.meta["pdacmine.reviewer"] = reviewer
    if ctx.invoked_subcommand is not None:
        return
    from pdacmine.cli.screen_loop import ScreenLoop

    app = ctx.find_object(AppContext)
    assert app is not None
    loop = ScreenLoop(app.engine, _reviewer(app, reviewer), load_reasons(), order, _required(app, dual),
                      make_filters(app.engine, filters), limit)  # fmt: skip
    loop.run()


@screen_group.command("export")
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="File to write ('-' for stdout).")  # fmt: skip
@reviewer_option
@_order
@_dual
@click.option("--all", "include_all", is_flag=True, help="Every record, with your decision where you made one.")
@click.option("--bom", is_flag=True, help="Start with a UTF-8 byte order mark so Excel reads accents correctly.")
@filter_options
@pass_app
def export_command(app: AppContext, csv_path: Path, reviewer: str | None, order: str, dual: bool,
                   include_all: bool, bom: bool, **given: Any) -> None:  # fmt: skip
    """Write the records you still have to screen to a CSV sheet (blind: only your own decisions).

    Fill in decision (include / exclude / maybe), reason (required for exclude: a key from
    `pdacmine screen reasons`) and note, then load it with `pdacmine screen import`.

    \b
    Example:
      pdacmine screen export --reviewer alice --csv alice.csv --bom
    """
    name = _reviewer(app, reviewer)
    filters = make_filters(app.engine, given)
    required = _required(app, dual)
    with session_scope(app.engine) as session:
        db.start_session(session, name, "csv-export", order, required, filters)
        items = db.own_items(session, name, order=order, filters=filters, todo_only=not include_all)
    rows = ({"pmid": i.pmid, "doi": i.doi, "year": i.year, "title": i.title, "journal": i.journal,
             "abstract": i.abstract, "n_evidence": i.n_evidence, "decision": i.own.decision if i.own else None,
             "reason": i.own.reason if i.own else None, "note": None} for i in items)  # fmt: skip
    to_stdout = str(csv_path) == "-"
    with open_output(csv_path, bom and not to_stdout) as out:
        n = write_csv(rows, SHEET_COLUMNS, out)
    if not to_stdout and not app.quiet:
        click.echo(f"wrote {n} record(s) to {csv_path} ({ORDERS[order]})", err=True)


def _report(file: Path, errors: list[tuple[int, str]]) -> InputError:
    errors = sorted(errors)
    for line, reason in errors[:MAX_ERRORS]:
        click.echo(f"{file}, line {line}: {reason}", err=True)
    if len(errors) > MAX_ERRORS:
        click.echo(f"... and {len(errors) - MAX_ERRORS} more", err=True)
    return InputError(f"{file}: {len(errors)} problem(s) listed above; nothing was applied")


@screen_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reviewer_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="pdacmine sheet, ASReview LAB export (included / label_included) or Rayyan articles.csv.",
)
@_dual
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@pass_app
def import_command(app: AppContext, file: Path, reviewer: str | None, fmt: str, dual: bool, dry_run: bool) -> None:
    """Apply screening decisions from a file, all or nothing.

    Reads pdacmine's own sheet, an ASReview LAB export (label 1 include, 0 exclude, empty or -1
    not seen; records matched by the pmid column, else doi) or a Rayyan articles.csv (each
    reviewer's RAYYAN-INCLUSION decision and RAYYAN-EXCLUSION-REASONS in the notes column;
    records matched by key = PMID, else doi). Rayyan decisions keep Rayyan's reviewer names.
    If any row names an unknown record, decision or exclusion reason, every bad row is listed
    and NOTHING is applied (exit 3).

    \b
    Example:
      pdacmine screen import --reviewer alice alice.csv
      pdacmine screen import --format asreview --reviewer bob asreview_export.csv
      pdacmine screen import rayyan/articles.csv --dry-run
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} is not UTF-8 text; in Excel use Save As 'CSV UTF-8'") from exc
    rows, problems, kind = parse_decisions(text.splitlines(keepends=True), load_reasons(), fmt)
    name = _reviewer(app, reviewer)
    with session_scope(app.engine) as session:
        files.match_records(session, rows, problems)  # unknown records join the list of bad rows
    if problems:
        raise _report(file, problems.errors)
    source = kind if kind != "pdacmine" else "csv"
    summary, problems = files.apply_decisions(
        app.engine,
        rows,
        reviewer=name,
        source=source,
        dry_run=dry_run,
        session_id=f"import:{file.name}"[:40],
        required=_required(app, dual),
    )
    if problems:
        raise _report(file, problems.errors)
    who = ", ".join(f"{n} by {r}" for r, n in sorted(summary.reviewers.items()))
    verb = "would apply" if dry_run else "applied"
    app.say(f"{file} ({kind}): {verb} {summary.changed if not dry_run else len(rows)} decision(s)"
            + (f" ({who})" if who else "") + (f"; {summary.unchanged} unchanged" if not dry_run else ""))  # fmt: skip


@screen_group.command("conflicts")
@pass_app
def conflicts_command(app: AppContext) -> None:
    """Records whose screeners disagree (listed only once every required reviewer decided them).

    \b
    Example:
      pdacmine screen conflicts
    """
    with session_scope(app.engine) as session:
        items = outcomes.conflicts(session)
    if not items:
        click.echo("no screening conflicts", err=True)
        return
    for c in items:
        votes = "; ".join(f"{v.reviewer}: {v.decision}" + (f" ({v.reason})" if v.reason else "") for v in c.votes)
        click.echo(f"{c.pmid}\t{votes}\t{c.title}")


@screen_group.command("resolve")
@click.argument("pmid")
@click.argument("decision")
@click.option("--reason", help="Exclusion reason (key or number from `pdacmine screen reasons`).")
@click.option("--note", help="Why (kept in the audit trail).")
@reviewer_option
@pass_app
def resolve_command(app: AppContext, pmid: str, decision: str, reason: str | None, note: str | None,
                    reviewer: str | None) -> None:  # fmt: skip
    """Settle a screening conflict as a third reviewer (recorded in the audit trail).

    PMID names the record as `screen conflicts` lists it: a PubMed ID, or doi:<DOI> or record:<id>
    for a record without one.

    \b
    Example:
      pdacmine screen resolve 31234567 exclude --reason not-pdac --reviewer carol
    """
    word = DECISION_WORDS.get(decision.strip().lower())
    if word is None:
        raise InputError(f"unknown decision {decision!r}; use include, exclude or maybe")
    key = load_reasons().resolve(reason) if reason else None
    if word == EXCLUDE and key is None:
        raise InputError("exclude needs --reason (see `pdacmine screen reasons`)")
    name = _reviewer(app, reviewer)
    record = outcomes.resolve(app.engine, pmid.strip(), word, key if word == EXCLUDE else None, name, note)
    app.say(f"{record_label(record)}: {word} (resolved by {name})")


@screen_group.command("status")
@pass_app
def status_command(app: AppContext) -> None:
    """How many records are included, excluded (per reason), maybe, in conflict or still to screen.

    \b
    Example:
      pdacmine screen status
    """
    with session_scope(app.engine) as session:
        states = outcomes.final_states(session)
        total = db.record_count(session)
        required = db.reviewers_required(session)
    counts = Counter(f.status for f in states.values())
    counts[UNSCREENED] += total - len(states)
    reasons = Counter(f.reason or "no reason recorded" for f in states.values() if f.status == EXCLUDE)
    mode = "dual" if required > 1 else "single"
    app.say(f"{total} record(s), {mode} screening: " + ", ".join(f"{counts[s]} {s}" for s in FINAL_STATES))
    for reason, n in sorted(reasons.items()):
        app.say(f"  excluded, {reason}: {n}")


@screen_group.command("log")
@click.option("--pmid", help="Only this record.")
@click.option("--reviewer", "who", help="Only this reviewer (in dual screening: who is asking).")
@pass_app
def log_command(app: AppContext, pmid: str | None, who: str | None) -> None:
    """The screening audit trail, oldest first: who decided what, when, old -> new.

    In dual screening, decisions on records still waiting for their second reviewer are hidden,
    except those of --reviewer (blinding holds until both are done).

    \b
    Example:
      pdacmine screen log --pmid 31234567
    """
    with session_scope(app.engine) as session:
        rows = outcomes.audit_rows(session, pmid=pmid)
        keys = keys_of(session, {r.article_id for r in rows})
        hidden_records = set()
        if db.reviewers_required(session) > 1:
            states = outcomes.final_states(session)
            hidden_records = {aid for aid, f in states.items() if f.status == IN_PROGRESS}
    hidden = 0
    for r in rows:
        if who and r.reviewer != who:
            if r.article_id in hidden_records:
                hidden += 1
            continue
        if not who and r.article_id in hidden_records:
            hidden += 1
            continue
        old = r.old.get("decision") or "-"
        new = r.new.get("decision") or "-"
        reason = f" ({r.new['reason']})" if r.new.get("reason") else ""
        when = f"{r.at:%Y-%m-%d %H:%M}"
        key = keys.get(r.article_id, r.pmid)
        click.echo(f"{r.id}\t{when}\t{r.reviewer}\t{r.action}\t{key}\t{old} -> {new}{reason}\t{r.source}")
    if hidden:
        click.echo(f"{hidden} entr(ies) on records still in dual screening hidden (blind until both decided)", err=True)


@screen_group.command("reasons")
def reasons_command() -> None:
    """The exclusion reasons you can give (your exclusion_reasons.tsv replaces the built-in list).

    \b
    Example:
      pdacmine screen reasons
    """
    reasons = load_reasons()
    for n, r in enumerate(reasons.reasons, start=1):
        click.echo(f"{n}\t{r.key}\t{r.description}")
    click.echo(f"(from {reasons.source})", err=True)


COMMANDS: list[click.Command] = [screen_group]
