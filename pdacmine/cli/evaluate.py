"""CLI command ``evaluate``: score the pipeline (and the naive baseline) against a hand-annotated gold file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.errors import PdacmineError
from pdacmine.miner import evaluate as ev
from pdacmine.miner.evidence import AnnotatedDocument


def pipeline_annotator(model: str | None, batch_size: int, workers: int) -> ev.Annotator:
    """The real extractor (``pdacmine.miner.annotate.annotate_records``), imported only when used."""

    def run(records: list[dict[str, Any]]) -> Iterable[AnnotatedDocument | Mapping[str, Any]]:
        try:
            from pdacmine.miner.annotate import annotate_records
        except ImportError as exc:
            raise PdacmineError(f"the extraction pipeline cannot be loaded ({exc}); try --baseline-only") from exc
        return annotate_records(records, model=model, batch_size=batch_size, workers=workers)

    return run


def baseline_annotator(records: list[dict[str, Any]]) -> Iterable[Mapping[str, Any]]:
    from pdacmine.miner.nlp.baseline import annotate_records

    return annotate_records(records)


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def _status(measure: str, counts: ev.Counts, baseline: ev.Counts | None) -> str:
    notes = [] if ev.meets_targets(counts, measure) else ["below target"]
    if baseline is not None and (counts.f1 or 0.0) <= (baseline.f1 or 0.0) and baseline.f1 is not None:
        notes.append("not above baseline")
    return ", ".join(notes) or "ok"


def render_table(results: Mapping[str, ev.Scores]) -> str:
    """Per-measure P/R/F1 with TP/FP/FN and support; a baseline column block when scored."""
    first = next(iter(results))
    main, base = results[first], results.get("baseline") if first != "baseline" else None
    head = f"{'measure':<17} {'support':>7}   {first + ' P':>12} {'R':>5} {'F1':>5} {'TP':>4} {'FP':>4} {'FN':>4}"
    if base is not None:
        head += f"   {'baseline P':>10} {'R':>5} {'F1':>5}"
    head += f"   {'target':>6}  status"
    lines = [head, "-" * len(head)]
    for measure in ev.MEASURES:
        c = main.counts[measure]
        row = f"{measure:<17} {c.support:>7}   {_fmt(c.precision):>12} {_fmt(c.recall):>5} {_fmt(c.f1):>5}"
        row += f" {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        b = base.counts[measure] if base is not None else None
        if b is not None:
            row += f"   {_fmt(b.precision):>10} {_fmt(b.recall):>5} {_fmt(b.f1):>5}"
        status = _status(measure, c, b) if first != "baseline" else "-"
        row += f"   {ev.TARGETS[measure]:>6.2f}  {status}"
        lines.append(row)
        if measure == ev.FACETS[-1]:
            lines.append("")
    lines.append(f"(micro-averaged over documents; targets: F1 as listed, precision >= {ev.TARGET_PRECISION:.2f})")
    return "\n".join(lines)


def render_errors(name: str, scores: ev.Scores) -> str:
    """Each record's false positives and false negatives, for error analysis."""
    lines = [f"{name}: per-record errors (FP = extracted but not in gold, FN = in gold but missed)"]
    for rec in scores.records:
        if rec.clean:
            continue
        lines.append(f"{rec.label}  {rec.title_prefix}")
        for kind, errors in (("FP", rec.fp), ("FN", rec.fn)):
            for measure, items in errors.items():
                lines.append(f"    {kind} {measure:<16} {', '.join(items)}")
    clean = sum(r.clean for r in scores.records)
    lines.append(f"{clean} of {len(scores.records)} records without an error")
    return "\n".join(lines)


def as_json(matched: ev.Matched, results: Mapping[str, ev.Scores], per_record: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "gold_records": len(matched.pairs) + len(matched.missing),
        "scored_records": len(matched.pairs),
        "missing_from_records": [g.label for g in matched.missing],
        "records_without_gold": matched.unannotated,
        "targets": {"f1": ev.TARGETS, "precision": ev.TARGET_PRECISION},
    }
    for name, scores in results.items():
        block: dict[str, Any] = {"scores": scores.as_dict()}
        if per_record:
            block["records"] = [
                {"record": r.label, "title_prefix": r.title_prefix, "fp": r.fp, "fn": r.fn} for r in scores.records
            ]
        out[name] = block
    return out


@click.command("evaluate")
@click.argument("gold", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--records",
    "records_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSONL of records (pmid, doi, title, abstract) whose text the taggers read.",
)
@click.option("--baseline", is_flag=True, help="Also score the naive keyword tagger and print it beside.")
@click.option("--baseline-only", is_flag=True, help="Score only the naive keyword tagger (no pipeline).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, JSON for scripts.",
)
@click.option("--per-record", is_flag=True, help="List each record's false positives and false negatives.")
@click.option("--model", default=None, help="spaCy model for the pipeline (default: the configured one).")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1))
@pass_app
def evaluate_command(
    app: AppContext,
    gold: Path,
    records_path: Path,
    baseline: bool,
    baseline_only: bool,
    fmt: str,
    per_record: bool,
    model: str | None,
    batch_size: int,
    workers: int,
) -> None:
    """Score extraction against a hand-annotated gold standard (precision, recall, F1).

    Runs the pipeline on the records that have a gold annotation and compares
    document-level sets (organs, stages, mechanism categories, therapies, therapy
    classes, and mechanism-organ, mechanism-stage and therapy-organ pairs), as
    eval/README.md and the annotation guide define. Records match gold by PMID,
    falling back to DOI, then to the start of the title.

    \b
    Example:
      pdacmine evaluate eval/gold.jsonl --records records.jsonl --baseline
      pdacmine evaluate eval/gold.jsonl --records records.jsonl --per-record | less
      pdacmine evaluate eval/gold.jsonl --records records.jsonl --format json > scores.json
    """
    from pdacmine.miner.nlp.vocab import default_vocabulary

    vocab = default_vocabulary()
    gold_records = ev.read_gold(gold, vocab)
    matched = ev.match_records(gold_records, ev.read_jsonl(records_path), str(records_path))
    if not matched.pairs:
        raise ev.InputError(f"{records_path}: none of its records matches a record of {gold} (by PMID, DOI or title)")
    taggers: dict[str, ev.Annotator] = {}
    if not baseline_only:
        taggers["pipeline"] = pipeline_annotator(model, batch_size, workers)
    if baseline or baseline_only:
        taggers["baseline"] = baseline_annotator
    results: dict[str, ev.Scores] = {}
    for name, annotate in taggers.items():
        started = time.perf_counter()
        results[name] = ev.evaluate(matched, annotate, vocab)
        if not app.quiet:
            took = time.perf_counter() - started
            click.echo(f"{name}: {len(matched.pairs)} records in {took:.1f} s", err=True)
    _report(app, matched, results, fmt, per_record)


def _report(app: AppContext, matched: ev.Matched, results: dict[str, ev.Scores], fmt: str, per_record: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(as_json(matched, results, per_record), indent=2))
        return
    if matched.missing and not app.quiet:
        shown = ", ".join(g.label for g in matched.missing[:5]) + (" ..." if len(matched.missing) > 5 else "")
        click.echo(f"warning: {len(matched.missing)} gold record(s) not in the records file: {shown}", err=True)
    app.say(f"{len(matched.pairs)} records scored ({matched.unannotated} records without gold ignored)")
    app.say(render_table(results))
    if per_record:
        for name, scores in results.items():
            app.say("")
            app.say(render_errors(name, scores))


COMMANDS: list[click.Command] = [evaluate_command]
