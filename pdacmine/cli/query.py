"""CLI: ``query`` (ranked findings or evidence sentences), and the filter options ``export`` shares."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from typing import Any, TextIO

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from pdacmine.cli.context import AppContext, count, open_output, pass_app, workspace
from pdacmine.db import query as q
from pdacmine.db.filters import STATUSES, Filters, resolve_filters
from pdacmine.miner.export import WRITERS

FORMATS = ("table", *WRITERS)
SORTS = sorted({*q.FINDING_SORTS, *q.EVIDENCE_SORTS})
SPAN_STYLES = {"MECHANISM": "bold magenta", "ORGAN": "bold green", "STAGE": "bold cyan", "THERAPY": "bold yellow"}
#: The filter options: name -> click option (their values are popped from ``**kwargs`` by take_filters).
_FILTERS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "organ": click.option("--organ", multiple=True, metavar="ORGAN",
                          help="Metastatic site: key or synonym (liver, hepatic, pulmonary). Repeat or use commas."),
    "stage": click.option("--stage", multiple=True, metavar="STAGE",
                          help="Cascade step (colonization, intravasation, pre-metastatic niche, CTC...)."),
    "mechanism": click.option(
        "--mechanism", multiple=True, metavar="TERM",
        help="Mechanism concept (ZEB1, granulin), synonym, or category (emt-plasticity, hypoxia)."),
    "therapy": click.option("--therapy", multiple=True, metavar="TERM",
                            help="Drug (Abraxane = nab-paclitaxel, with regimens containing it), regimen, or class."),
    "pmid": click.option(
        "--pmid", multiple=True, metavar="PMID", help="PubMed ID(s); doi:<DOI> or record:<id> for records without one."
    ),
    "since": click.option("--since", metavar="YEAR|DATE", help="Published in or after (2020, 2020-06, 2020-06-15)."),
    "until": click.option("--until", metavar="YEAR|DATE", help="Published in or before."),
    "study_type": click.option("--study-type", multiple=True, metavar="TYPE",
                               help="clinical, human-tissue, animal, in-vitro, review or other."),
    "min_papers": click.option("--min-papers", type=count(0), metavar="N",
                               help="At least N supporting papers."),
    "status": click.option("--status", type=click.Choice(STATUSES),
                           help="Review status of the evidence [default: all but rejected]."),
    "text": click.option("--text", metavar="WORDS", help="Words that must all appear in the sentence; quote a phrase."),
}  # fmt: skip
FILTER_OPTIONS = tuple(_FILTERS)


def filter_options(func: Callable[..., Any], exclude: Collection[str] = ()) -> Callable[..., Any]:
    """The filter options of ``query``, ``export`` and ``review`` but those in ``exclude`` (values stay in
    ``**kwargs``)."""
    for name, option in reversed(_FILTERS.items()):
        if name not in exclude:
            func = option(func)
    return func


def take_filters(session: Session | None, kwargs: dict[str, Any]) -> Filters:
    """Pop the filter options out of a command's kwargs and resolve them (InputError on an unknown term)."""
    values = {name: kwargs.pop(name) for name in FILTER_OPTIONS if name in kwargs}
    return resolve_filters(session, **values)


def command_filters(app: AppContext, kwargs: dict[str, Any]) -> Filters:
    """:func:`take_filters` against the database, then :func:`say_filters`."""
    with Session(app.engine) as session:
        filters = take_filters(session, kwargs)
    say_filters(app, filters)
    return filters


def say_filters(app: AppContext, filters: Filters) -> None:
    """On stderr, how the user's words were understood ("pulmonary -> lung")."""
    shown = [f"{typed} -> {key}" for typed, key in filters.resolved if typed.strip().lower() != key]
    if shown and not app.quiet:
        click.echo(f"filters: {'; '.join(shown)}", err=True)


# --- terminal rendering ----------------------------------------------------------------------------


#: The width of a table that does not go to a terminal (a pipe, a file) and COLUMNS does not set: wide
#: enough that nothing is cut or dropped.
UNLIMITED = 100_000


def console(out: TextIO) -> Console:
    """A console that colours only a terminal and honours NO_COLOR; its width is the terminal's, else
    COLUMNS, else unlimited (a piped table is never cut)."""
    width = None
    if not (hasattr(out, "isatty") and out.isatty()) and not os.environ.get("COLUMNS", "").isdigit():
        width = UNLIMITED
    return Console(file=out, no_color=bool(os.environ.get("NO_COLOR")), highlight=False, soft_wrap=False, width=width)


def window(sentence: str, spans: Iterable[dict[str, Any]], width: int) -> tuple[str, list[tuple[int, int, str]]]:
    """Cut ``sentence`` to ``width`` characters around its entity spans; returns text and shifted spans."""
    marks = sorted(
        (int(s["start"]), int(s["end"]), str(s.get("label", "")))
        for s in spans
        if isinstance(s, dict) and 0 <= int(s.get("start", -1)) < int(s.get("end", -1)) <= len(sentence)
    )
    if len(sentence) <= width or width < 10:
        return sentence, marks
    first = marks[0][0] if marks else 0
    last = max((e for _, e, _ in marks), default=width)
    room = width - 2
    start = max(0, min(first - max(0, (room - (last - first)) // 2), len(sentence) - room))
    end = min(len(sentence), start + room)
    text = ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")
    shift = start - (1 if start else 0)
    kept = [(max(s, start) - shift, min(e, end) - shift, label) for s, e, label in marks if s < end and e > start]
    return text, kept


def _highlighted(sentence: str, spans: Iterable[dict[str, Any]], width: int) -> Text:
    text, marks = window(sentence, spans, width)
    rich_text = Text(text)
    for start, end, label in marks:
        rich_text.stylize(SPAN_STYLES.get(label, "bold"), start, end)
    return rich_text


def _review(row: dict[str, Any]) -> str:
    return f"{row['n_accepted']}/{row['n_rejected']}/{row['n_unreviewed']}"


GAP = 2


def fit_widths(natural: list[int], flexible: dict[int, int], total: int) -> list[int]:
    """Column widths within ``total``: fixed columns keep their width, the widest flexible one shrinks first
    (never below its minimum in ``flexible``)."""
    widths = list(natural)
    excess = sum(widths) + GAP * (len(widths) - 1) - total
    while excess > 0:
        shrinkable = [i for i, low in flexible.items() if widths[i] > low]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


def print_table(
    out: TextIO,
    headers: list[tuple[str, str]],
    rows: list[list[Text]],
    flexible: dict[int, int],
    optional: tuple[int, ...] = (),
) -> None:
    """A borderless table that fits the terminal: numbers stay whole, text columns are cut with "…",
    and the ``optional`` columns are dropped (in that order) when even that is too wide."""
    con = console(out)
    keep = list(range(len(headers)))
    natural = [max([len(h), *(r[i].cell_len for r in rows)]) for i, (h, _) in enumerate(headers)]

    def narrowest(cols: list[int]) -> int:
        return sum(min(natural[i], flexible.get(i, natural[i])) for i in cols) + GAP * (len(cols) - 1)

    for col in optional:
        if narrowest(keep) <= con.width:
            break
        keep.remove(col)
    flex = {keep.index(i): low for i, low in flexible.items() if i in keep}
    widths = fit_widths([natural[i] for i in keep], flex, con.width)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, GAP, 0, 0), collapse_padding=True)
    for i, width in zip(keep, widths, strict=True):
        name, justify = headers[i]
        table.add_column(name, justify=justify, width=width, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    con.print(table)


def findings_table(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    cells = []
    for r in rows:
        mech = Text(r["mechanism"] or "-")
        if r["mechanism_category"]:
            mech.append(f" ({r['mechanism_category']})", style="dim")
        years = f"{r['first_year']}-{r['last_year']}" if r["first_year"] else "-"
        cells.append([Text(str(x)) if not isinstance(x, Text) else x for x in (
            r["rank"], r["finding_id"], f"{r['score']:.2f}", r["n_papers"], r["n_contradicting"], mech,
            r["stage"] or "-", r["organ"] or "-", r["therapy"] or "-", years, _review(r))])  # fmt: skip
    if cells:
        # "#" is the rank (the order shown); "id" is what `rank --explain` takes and never changes
        headers = [("#", "right"), ("id", "right"), ("score", "right"), ("papers", "right"), ("contra", "right"),
                   ("mechanism", "left"), ("stage", "left"), ("organ", "left"), ("therapy", "left"),
                   ("years", "left"), ("acc/rej/new", "right")]  # fmt: skip
        print_table(out, headers, cells, {5: 8, 6: 5, 7: 5, 8: 7}, optional=(9, 10, 4, 0))
    return len(cells)


FINDING_WIDTH = 28


def evidence_table(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    data = list(rows)
    cells = []
    width = console(out).width
    for r in data:
        finding = "|".join(x or "-" for x in (r["mechanism"], r["cascade_stage"], r["metastatic_site"], r["therapy"]))
        if len(finding) > FINDING_WIDTH and width < UNLIMITED:  # the sentence is what a reader needs room for
            finding = finding[: FINDING_WIDTH - 1] + "…"
        plain = (r["pmid"], r["year"] or "-", r["study_design"] or "-")
        cells.append([*(Text(str(x)) for x in plain), Text(finding, style="dim"), Text(r["review_status"]), Text("")])
    if not cells:
        return 0
    headers = [("PMID", "left"), ("year", "left"), ("study", "left"), ("finding", "left"), ("review", "left"),
               ("sentence", "left")]  # fmt: skip
    fixed = sum(max([len(h), *(c[i].cell_len for c in cells)]) + GAP for i, (h, _) in enumerate(headers[:5]))
    room = max(24, width - fixed)
    for c, r in zip(cells, data, strict=True):
        c[5] = _highlighted(r["evidence_sentence"] or "", r["spans"], room)
    print_table(out, headers, cells, {3: 10, 5: 24}, optional=(2, 4, 3))
    return len(cells)


# --- the command -----------------------------------------------------------------------------------


@click.command("query")
@filter_options
@click.option("--evidence", "evidence_level", is_flag=True, help="List evidence sentences instead of findings.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--limit", type=count(0), help="At most N rows (default: 50 for table, all for other formats).")
@click.option("--offset", type=count(0), default=0, help="Skip the first N rows.")
@click.option("--sort", type=click.Choice(SORTS), help="findings: score papers evidence year contradicting key; "
              "evidence: score year pmid confidence id  [default: score]")  # fmt: skip
@pass_app
def query_cmd(
    app: AppContext, evidence_level: bool, fmt: str, limit: int | None, offset: int, sort: str | None, **kw: Any
) -> None:
    """Ranked findings (mechanism | stage | organ | therapy) or their evidence sentences.

    Terms are case-insensitive and understood through the vocabulary: "pulmonary" finds
    lung, "Abraxane" finds nab-paclitaxel (and regimens containing it), "ZEB1" a concept,
    "emt-plasticity" a whole mechanism category, "chemotherapy" a therapy class. An unknown
    term stops with "did you mean ..." (exit 3). Machine formats stream every row.

    Findings are sorted by score: "#" is the rank, "id" the finding id that
    `pdacmine rank --explain ID` takes. --evidence lists the sentences, best findings first,
    with entities highlighted on a terminal. On a terminal a table fits its width; piped or
    redirected, nothing is cut.

    \b
    Example:
      pdacmine query --organ lung --min-papers 3
      pdacmine query --mechanism emt-plasticity --organ liver --since 2018
      pdacmine query --therapy Abraxane --evidence --limit 20
      pdacmine query --organ peritoneum --format csv > peritoneum.csv
    """
    level = "evidence" if evidence_level else "findings"
    filters = command_filters(app, kw)
    if limit is None and fmt == "table":
        limit = 50
    ws = workspace(app)
    with open_output(None) as out:  # a full disk or a closed pipe: one line
        if fmt != "table":
            columns = q.EVIDENCE_COLUMNS if level == "evidence" else q.FINDING_COLUMNS
            rows = ws.query(filters, evidence=evidence_level, sort=sort or "score", limit=limit, offset=offset)
            WRITERS[fmt](rows, columns, out)
            return
        assert limit is not None
        page = list(
            ws.query(
                filters, evidence=evidence_level, sort=sort or "score", limit=limit + 1, offset=offset, top_pmids=False
            )
        )  # (the table does not show them)
        shown = page[:limit]
        n = evidence_table(shown, out) if level == "evidence" else findings_table(shown, out)
        if not app.quiet:
            total = ws.count_findings(filters) if level == "findings" and not filters.has_evidence_terms else None
            click.echo(footer(level, filters, n, offset, more=len(page) > limit, total=total), err=True)


def footer(level: str, filters: Filters, shown: int, offset: int, *, more: bool, total: int | None) -> str:
    """The line under a table: how many rows, and how to see more."""
    what = "evidence sentences" if level == "evidence" else "findings"
    if not shown:
        if filters.describe() == "none" and not offset:
            return f"no {what} yet: run pdacmine update (or pdacmine extract) first"
        return f"no {what} match ({filters.describe()})"
    span = f"{what} {offset + 1}-{offset + shown}"
    if total is not None:
        span += f" of {total:,}"
    return span + (f" (more: --offset {offset + shown})" if more else "")


COMMANDS: list[click.Command] = [query_cmd]
