"""CLI command: ``dedup`` (merge the same study found in several databases; report, split, confirm)."""

from __future__ import annotations

import click

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.db.dedup import DedupReport, RecordLine
from pdacmine.db.lock import writer_lock
from pdacmine.jobs.dedup import confirm_pair, dedup_report, run_dedup, split_record


def _record(line: RecordLine) -> str:
    ids = " ".join(x for x in (f"PMID {line.pmid}" if line.pmid else "", f"doi {line.doi}" if line.doi else "") if x)
    title = line.title if len(line.title) <= 90 else line.title[:89] + "…"
    return (
        f"{line.id:>7}  {line.year or '----'}  {(line.first_author or '-')[:20]:<20}  {title}\n"
        f"         {ids or 'no PMID/DOI'} · {', '.join(line.sources)}"
    )


def _print_report(report: DedupReport) -> None:
    click.echo(f"Merged groups: {len(report.groups)} (first line: the record kept; split with --split ID)")
    for group in report.groups:
        click.echo("")
        click.echo(_record(group[0]))
        for member in group[1:]:
            how = f"{member.method or '?'}{', confirmed' if member.confirmed else ''}"
            click.echo("   = " + _record(member).lstrip() + f"  [{how}]")
    click.echo("")
    click.echo(f"Near-duplicates: {len(report.near)} (merge with --confirm A B; otherwise they stay apart)")
    for match, a, b in report.near:
        click.echo("")
        click.echo(f"  title {match.score:.0f}/100{': ' + match.reason if match.reason else ''}")
        click.echo(_record(a))
        click.echo(_record(b))


@click.command("dedup")
@click.option("--report", "show", is_flag=True, help="List merged groups and near-duplicates; change nothing.")
@click.option("--split", "split_id", type=int, metavar="ID",
              help="Take record ID out of its group (a kept record: undo the group); never merged back.")  # fmt: skip
@click.option("--confirm", "pair", type=int, nargs=2, metavar="ID ID",
              help="The two records are the same study: merge them, or confirm their merge.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what a run would merge without saving it.")
@click.option("--by", "actor", metavar="NAME", help="Name recorded in the audit trail  [default: reviewer setting]")
@click.option("--note", metavar="TEXT", help="Reason recorded with --split or --confirm.")
@pass_app
def dedup_command(
    app: AppContext,
    show: bool,
    split_id: int | None,
    pair: tuple[int, int] | None,
    dry_run: bool,
    actor: str | None,
    note: str | None,
) -> None:
    """Merge records of the same study found in several databases (PubMed, Embase, Scopus...).

    Exact matches on PMID, DOI (normalised) and PMCID, then fuzzy matches on the normalised
    title (case, punctuation, HTML entities, accents, Greek letters, titles cut short) with
    the same year and first author. Errata, comments and replies never merge with the study
    they are about. Merged records stay stored with their sources but are not extracted or
    counted twice; pairs that come close without passing are near-duplicates for a person.
    Every merge, split and confirmation is audited (who, when, method, score); a split pair
    is never merged again automatically.

    \b
    Example:
      pdacmine dedup                     # merge; prints counts per method
      pdacmine dedup --report            # merged groups and near-duplicates
      pdacmine dedup --confirm 812 1045  # same study: merge them
      pdacmine dedup --split 1045 --note "conference abstract, not the paper"
    """
    if sum(bool(x) for x in (show, split_id is not None, pair is not None)) > 1:
        raise click.UsageError("use one of --report, --split and --confirm at a time")
    engine = app.engine
    if show:
        _print_report(dedup_report(engine))
        return
    who = app.settings(reviewer=actor).reviewer
    with writer_lock(engine):
        if split_id is not None:
            ids = split_record(engine, split_id, who, note)
            app.say(f"split {len(ids)} record(s) from their group: {', '.join(map(str, ids))}")
            return
        if pair is not None:
            done = confirm_pair(engine, pair[0], pair[1], who, note)
            app.say(f"records {pair[0]} and {pair[1]}: {done}")
            return
        result = run_dedup(engine, who, dry_run=dry_run)
    methods = ", ".join(f"{n} by {m}" for m, n in sorted(result.by_method.items())) or "nothing new"
    prefix = "would merge" if dry_run else "merged"
    app.say(f"{prefix} {result.merged} record(s) ({methods}); {result.groups} group(s) in all")
    reviews, screens = result.carried
    if reviews or screens:
        verb = "would carry" if dry_run else "carried"
        app.say(
            f"{verb} {reviews} review and {screens} screening decision(s) over to the kept records "
            "(audited as 'carry'; pdacmine review log / screen log)"
        )
    if result.near:
        app.say(f"{result.near} near-duplicate pair(s) to check: pdacmine dedup --report")


COMMANDS: list[click.Command] = [dedup_command]
