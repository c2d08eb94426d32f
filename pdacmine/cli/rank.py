"""CLI: ``rank`` (recompute findings, or explain one score) and ``update`` (the cron job)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import Any

import click
from sqlalchemy import Engine

from pdacmine.cli.context import MAX_NUMBER, AppContext, pass_app, plural
from pdacmine.db.engine import session_scope
from pdacmine.db.findings import Explanation, explain_finding, finding_count, get_finding, refresh_findings
from pdacmine.db.lock import writer_lock
from pdacmine.errors import NetworkError
from pdacmine.miner.rank import Weights

logger = logging.getLogger(__name__)
EXPLAIN_ROWS = 40
FINDING_FIELDS = (
    "id", "finding_key", "mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class",
)  # fmt: skip


def _weights_line(w: Weights, reference_year: int) -> str:
    studies = ", ".join(f"{k} {v:g}" for k, v in w.study_type.items())
    return (
        f"weights ({w.source} v{w.version}): study type {studies}; hedged x{w.hedged:g}; "
        f"MeSH corroboration +{w.mesh_corroboration:g}; contradiction x{w.contradiction:g}; recency half-life "
        f"{w.half_life_years:g} y, floor {w.recency_floor:g} (reference year {reference_year}); "
        f"retracted x{w.retracted:g}"
    )


def explain_lines(e: Explanation) -> list[str]:
    """``rank --explain`` as text: the formula with this finding's numbers, then one line per paper."""
    f, s = e.finding, e.score
    lines = [
        f"finding {f.id}: {f.finding_key}",
        f"  mechanism {f.mechanism_key or '-'} ({f.mechanism_category or '-'}), stage {f.stage or '-'}, "
        f"organ {f.organ or '-'}, therapy {f.therapy_key or '-'} ({f.therapy_class or '-'})",
        f"  direction {s.direction}",
        f"  score {s.score:.4f} = support {s.support:.4f} - {e.weights.contradiction:g} x contradiction "
        f"{s.contradiction:.4f}",
        f"  {s.n_papers} supporting paper(s), {s.n_contradicting} contradicting; {s.n_evidence} evidence sentence(s): "
        f"{s.n_accepted} accepted, {s.n_rejected} rejected, {s.n_unreviewed} unreviewed",
        "",
        "  paper value = study type x confidence x hedging x recency x MeSH x retraction (best sentence per paper)",
        f"  {'PMID':<10} {'year':>4}  {'side':<10} {'study type':<13} {'study':>5} {'conf':>5} {'hedge':>5} "
        f"{'recency':>7} {'MeSH':>5} {'retr':>5} {'value':>7}",
    ]
    terms = sorted(s.terms, key=lambda t: (t.role != "support", -t.value, t.pmid))
    for t in terms[:EXPLAIN_ROWS]:
        conf = f"{t.confidence:.2f}" + ("*" if t.accepted else " ")
        lines.append(
            f"  {t.pmid:<10} {t.year or '-':>4}  {t.role:<10} {t.study_type:<13} {t.study:>5.2f} {conf:>6}"
            f"{t.hedge:>5.2f} {t.recency:>7.3f} {t.mesh:>5.2f} {t.retraction:>5.2f} {t.value:>7.4f}"
        )
    if len(terms) > EXPLAIN_ROWS:
        lines.append(f"  ... and {len(terms) - EXPLAIN_ROWS} more paper(s) (--format json lists them all)")
    if any(t.accepted for t in terms):
        lines.append("  * accepted by a reviewer: confidence 1, no hedging discount")
    if e.rejected:
        shown = ", ".join(f"{p} ({n})" for p, n in list(e.rejected.items())[:20])
        lines.append(f"  rejected by a reviewer, not counted: {shown}")
    lines += ["", "  " + _weights_line(e.weights, s.reference_year)]
    return lines


def explain_json(e: Explanation) -> dict[str, Any]:
    f = e.finding
    return {
        "finding": {c: getattr(f, c) for c in FINDING_FIELDS},
        "score": {k: v for k, v in asdict(e.score).items() if k != "terms"},
        "papers": [asdict(t) for t in e.score.terms],
        "rejected": e.rejected,
        "weights": e.weights.as_dict(),
    }


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
    with writer_lock(app.engine):
        app.say(f"ranked {_rank_all(app.engine)}")


def _rank_all(engine: Engine) -> str:
    """Refresh every finding (the caller holds the writer lock); returns "N findings (...) in S s"."""
    began = time.monotonic()
    with session_scope(engine) as session:
        changed = refresh_findings(session)
        total = finding_count(session)
    seconds = time.monotonic() - began
    if not changed:  # extraction and review keep findings current: usually there is nothing left to do
        return f"{plural(total, 'finding')}, all up to date, in {seconds:.1f} s"
    return f"{plural(total, 'finding')} ({changed:,} new, changed or removed) in {seconds:.1f} s"


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
    except NetworkError as exc:  # said once, at the end (exit 4); here only what happens meanwhile
        if not app.quiet:
            click.echo("pdacmine: harvest failed (reason below); extracting and ranking what is stored", err=True)
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
