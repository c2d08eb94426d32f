"""CLI command ``evaluate``: score the pipeline (and the naive baseline) against a hand-annotated gold file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.errors import InputError, PdacmineError
from pdacmine.miner import document_sets as docsets
from pdacmine.miner import evalsplit as es
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
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
    for measure in docsets.MEASURES:
        c = main.counts[measure]
        row = f"{measure:<17} {c.support:>7}   {_fmt(c.precision):>12} {_fmt(c.recall):>5} {_fmt(c.f1):>5}"
        row += f" {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        b = base.counts[measure] if base is not None else None
        if b is not None:
            row += f"   {_fmt(b.precision):>10} {_fmt(b.recall):>5} {_fmt(b.f1):>5}"
        status = _status(measure, c, b) if first != "baseline" else "-"
        row += f"   {ev.TARGETS[measure]:>6.2f}  {status}"
        lines.append(row)
        if measure == docsets.FACETS[-1]:
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


def render_by_file(name: str, by_file: Mapping[str, Mapping[str, ev.Scores]]) -> str:
    """F1 (precision) per measure, a column per gold file and tagger."""
    columns = [(f, tagger, scores) for f, per in by_file.items() for tagger, scores in per.items()]
    lines = [f"{name}: by gold file, F1 (precision)"]
    lines += [f"  [{i + 1}] {f} ({tagger}, {len(s.records)} records)" for i, (f, tagger, s) in enumerate(columns)]
    lines.append(f"{'measure':<17}" + "".join(f"{f'[{i + 1}]':>15}" for i in range(len(columns))))
    for measure in docsets.MEASURES:
        cells = []
        for _, _, scores in columns:
            c = scores.counts[measure]
            precision = "-" if c.precision is None else f"{c.precision:.3f}".removeprefix("0")
            cells.append(f"{_fmt(c.f1)} ({precision})")
        lines.append(f"{measure:<17}" + "".join(f"{cell:>15}" for cell in cells))
    return "\n".join(lines)


def render_reliability(name: str, rel: es.Reliability) -> str:
    """Confidence bins of the tuples: how many, and the share that is right (see evalsplit)."""
    lines = [f"{name}: reliability of confidence (tuples; right = every pair of the tuple is in gold)"]
    lines.append(f"{'confidence':<12} {'n':>5} {'right':>6} {'precision':>9}")
    for b in rel.bins:
        lines.append(f"{b.low:.1f}-{b.high:.1f}{'':<5} {b.n:>5} {b.right:>6} {_fmt(b.precision):>9}")
    high = rel.at_least(0.8)
    lines.append(f"{'>= 0.8':<12} {high.n:>5} {high.right:>6} {_fmt(high.precision):>9}")
    return "\n".join(lines)


@dataclass(slots=True)
class Part:
    """One scored group of records: its name, records, scores per tagger and the pipeline's reliability."""

    name: str
    matched: ev.Matched
    results: dict[str, ev.Scores]
    reliability: es.Reliability | None
    per_record: bool
    #: with --by-file: gold file -> tagger -> scores of that file's records
    by_file: dict[str, dict[str, ev.Scores]] = field(default_factory=dict)


def score_part(
    name: str,
    matched: ev.Matched,
    taggers: Mapping[str, ev.Annotator],
    vocab: Any,
    quiet: bool,
    per_record: bool,
    by_file: bool = False,
) -> Part:
    results: dict[str, ev.Scores] = {}
    files: dict[str, dict[str, ev.Scores]] = {}
    reliability = None
    for tagger, annotate in taggers.items():
        started = time.perf_counter()
        outputs = ev.predict_outputs(matched, annotate)
        results[tagger] = ev.score_outputs(matched, outputs, vocab)
        for source, scores in (ev.score_by_source(matched, outputs, vocab) if by_file else {}).items():
            files.setdefault(source, {})[tagger] = scores
        if tagger == "pipeline":
            reliability = es.reliability(zip((g for g, _ in matched.pairs), outputs, strict=True), vocab)
        if not quiet:
            took = time.perf_counter() - started
            click.echo(f"{name}, {tagger}: {len(matched.pairs)} records in {took:.1f} s", err=True)
    return Part(name, matched, results, reliability, per_record, files)


def cross_validated_part(
    dev: ev.Matched,
    split: es.Split,
    vocab: Any,
    quiet: bool,
    per_record: bool,
    by_file: bool = False,
) -> Part:
    """The pipeline with a claim model trained on the other development folds, fold by fold."""
    try:
        from pdacmine.miner.claim_training import cross_validated_outputs
    except ImportError as exc:
        raise PdacmineError(f"cross-validation needs numpy ({exc})") from exc
    started = time.perf_counter()
    folds, trains = es.fold_of(dev, split), es.trainable(dev, split)
    matched, outputs = cross_validated_outputs(dev, folds, len(split.folds), vocab, trains)
    if not quiet:
        click.echo(f"cross-validated: {len(split.folds)} folds in {time.perf_counter() - started:.1f} s", err=True)
    scores = ev.score_outputs(matched, outputs, vocab)
    reliability = es.reliability(zip((g for g, _ in matched.pairs), outputs, strict=True), vocab)
    files = {f: {"pipeline": sc} for f, sc in (ev.score_by_source(matched, outputs, vocab) if by_file else {}).items()}
    name = f"cross-validated ({len(split.folds)} folds)"
    return Part(name, matched, {"pipeline": scores}, reliability, per_record, files)


@click.command("evaluate")
@click.argument("gold", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--records",
    "records_paths",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSONL of records (pmid, doi, title, abstract) whose text the taggers read; repeat for several files.",
)
@click.option(
    "--split",
    "split_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Split file (eval/split.json): score the development records, and the locked ones with --locked.",
)
@click.option("--locked", is_flag=True, help="With --split: also score the locked fold (figures only, no records).")
@click.option(
    "--cross-validate", is_flag=True, help="With --split: retrain the claim model on k-1 development folds per fold."
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
@click.option("--per-record", is_flag=True, help="List each record's errors (never for the locked fold).")
@click.option("--by-file", is_flag=True, help="With several gold files: also give each file's figures.")
@click.option("--model", default=None, help="spaCy model for the pipeline (default: the configured one).")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1))
@pass_app
def evaluate_command(
    app: AppContext,
    gold: tuple[Path, ...],
    records_paths: tuple[Path, ...],
    split_path: Path | None,
    locked: bool,
    cross_validate: bool,
    baseline: bool,
    baseline_only: bool,
    fmt: str,
    per_record: bool,
    by_file: bool,
    model: str | None,
    batch_size: int,
    workers: int,
) -> None:
    """Score extraction against a hand-annotated gold standard (precision, recall, F1).

    Runs the pipeline on the records that have a gold annotation and compares
    document-level sets (organs, stages, mechanism categories, therapies, therapy
    classes, and mechanism-organ, mechanism-stage and therapy-organ pairs), as
    eval/README.md and the annotation guide define. Records match gold by PMID,
    falling back to DOI, then to the start of the title. Several gold and
    records files are read as one set. A reliability table bins the pipeline's
    tuples by confidence and gives the share that is right.

    With --split, the development records are scored; --locked adds the locked
    fold (aggregate figures only) and --cross-validate the claim model retrained
    on k-1 development folds and scored on the k-th.

    \b
    Example:
      pdacmine evaluate eval/gold.jsonl --records records.jsonl --baseline
      pdacmine evaluate eval/gold.jsonl --records records.jsonl --per-record | less
      pdacmine evaluate eval/gold.jsonl corpus2/gold.jsonl --records records.jsonl \\
          --records corpus2/records.jsonl --split eval/split.json --cross-validate --baseline
    """
    from pdacmine.miner.nlp.vocab import default_vocabulary

    if (locked or cross_validate) and split_path is None:
        raise InputError("--locked and --cross-validate need --split (e.g. --split eval/split.json)")
    vocab = default_vocabulary()
    gold_records = goldstd.read_gold_files(gold, vocab)
    matched = ev.match_records(
        gold_records, goldstd.read_jsonl_files(records_paths), ", ".join(map(str, records_paths))
    )
    if not matched.pairs:
        raise InputError(f"{records_paths[0]}: none of the records matches a gold record (by PMID, DOI or title)")
    taggers: dict[str, ev.Annotator] = {}
    if not baseline_only:
        taggers["pipeline"] = pipeline_annotator(model, batch_size, workers)
    if baseline or baseline_only:
        taggers["baseline"] = baseline_annotator
    parts: list[Part] = []
    if split_path is None:
        parts.append(score_part("all records", matched, taggers, vocab, app.quiet, per_record, by_file))
    else:
        split = es.read_split(split_path)
        groups = es.partition(matched, split)
        if groups[es.DEVELOPMENT].pairs:
            dev = groups[es.DEVELOPMENT]
            parts.append(score_part(es.DEVELOPMENT, dev, taggers, vocab, app.quiet, per_record, by_file))
        if cross_validate and not baseline_only and groups[es.DEVELOPMENT].pairs:
            parts.append(cross_validated_part(groups[es.DEVELOPMENT], split, vocab, app.quiet, per_record, by_file))
        if locked and groups[es.LOCKED].pairs:
            locked_part = groups[es.LOCKED]
            parts.append(score_part(es.LOCKED, locked_part, taggers, vocab, app.quiet, False, by_file))
        if not parts:
            raise InputError(f"{split_path}: no matched record is in the development folds (or the locked fold)")
    _report(app, matched, parts, fmt)


def _report(app: AppContext, matched: ev.Matched, parts: list[Part], fmt: str) -> None:
    if fmt == "json":
        out: dict[str, Any] = {}
        for part in parts:
            block = as_json(part.matched, part.results, part.per_record)
            if part.reliability is not None:
                block["reliability"] = part.reliability.as_dict()
            if part.by_file:
                block["by_file"] = {
                    f: {tagger: sc.as_dict() for tagger, sc in per.items()} for f, per in part.by_file.items()
                }
            out[part.name] = block
        click.echo(json.dumps(out if len(parts) > 1 else out[parts[0].name], indent=2))
        return
    if matched.missing and not app.quiet:
        shown = ", ".join(g.label for g in matched.missing[:5]) + (" ..." if len(matched.missing) > 5 else "")
        click.echo(f"warning: {len(matched.missing)} gold record(s) not in the records file: {shown}", err=True)
    for n, part in enumerate(parts):
        if n:
            app.say("")
        ignored = f"{matched.unannotated} without gold ignored"
        app.say(f"== {part.name}: {len(part.matched.pairs)} records scored ({ignored})")
        app.say(render_table(part.results))
        if part.by_file:
            app.say("")
            app.say(render_by_file(part.name, part.by_file))
        if part.reliability is not None:
            app.say("")
            app.say(render_reliability(part.name, part.reliability))
        if part.per_record:
            for name, scores in part.results.items():
                app.say("")
                app.say(render_errors(name, scores))


COMMANDS: list[click.Command] = [evaluate_command]
