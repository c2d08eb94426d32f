"""Views 1-3: the evidence map, the ranked findings, one finding with its score and evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pdacmine.db import overview
from pdacmine.db import query as q
from pdacmine.db.explain import explain_lines
from pdacmine.db.finding_lookup import explain_finding, get_finding
from pdacmine.errors import InputError
from pdacmine.miner.rank import EvidenceInput, PaperTerm, contradicts
from pdacmine.web.app import workspace
from pdacmine.web.charts import MEASURES, heatmap_spec, study_mix_spec, years_spec
from pdacmine.web.params import FORM_FIELDS, FilterState, choice_param, filter_state, int_param

#: The three heat maps: (id, title, row axis, column axis).
MAPS = (
    ("organ-stage", "Organ × cascade stage", "organ", "stage"),
    ("mechanism-organ", "Mechanism category × organ", "mechanism_category", "organ"),
    ("therapy-organ", "Therapy class × organ", "therapy_class", "organ"),
)
AXIS_TITLES = {"organ": "organ", "stage": "stage", "mechanism_category": "mechanism category",
               "therapy_class": "therapy class"}  # fmt: skip
FINDING_SORTS = tuple(q.FINDING_SORTS)
PER_PAGE = 50
#: A finding's papers and evidence sentences per page.
PAPERS_PER_PAGE, EVIDENCE_PER_PAGE = 50, 100


def _state(request: Request) -> FilterState:
    with Session(workspace(request).engine) as session:
        return filter_state(session, request.query_params)


def resolved_note(state: FilterState) -> str:
    """How the user's words were understood ("pulmonary -> lung"), as ``query`` says on stderr."""
    shown = [f"{typed} → {key}" for typed, key in state.filters.resolved if typed.strip().lower() != key]
    return "; ".join(shown)


def _cell_link(state: FilterState, rows: str, cols: str) -> Any:
    row_param, col_param = overview.AXES[rows][1], overview.AXES[cols][1]

    def link(cell: overview.Cell) -> str:
        return "/findings?" + state.query(**{row_param: cell.row, col_param: cell.col})

    return link


def evidence_map(request: Request) -> Response:
    """The heat maps (from the findings table); the year and study charts follow from :func:`map_charts`."""
    ws = workspace(request)
    state = _state(request)
    measure = choice_param(request.query_params, "measure", tuple(MEASURES), "score")

    def compute() -> dict[str, list[overview.Cell]]:
        with ws.engine.connect() as conn:
            maps = overview.heatmaps(conn, state.filters, [(m[2], m[3]) for m in MAPS])
        return {m[0]: cells for m, cells in zip(MAPS, maps, strict=True)}

    maps = ws.cache.get(("map", state.filters), compute)
    charts = []
    for ident, title, rows, cols in MAPS:
        link = _cell_link(state, rows, cols)
        spec = heatmap_spec(maps[ident], AXIS_TITLES[rows], AXIS_TITLES[cols], measure, link)
        table = sorted(maps[ident], key=lambda c: -c.score)[:25]
        charts.append({"id": ident, "title": title, "spec": spec, "cells": [(c, link(c)) for c in table]})
    return ws.page(
        request, "map.html", state=state, fields=FORM_FIELDS, note=resolved_note(state), measure=measure,
        measures=MEASURES, charts=charts, empty=not any(maps.values()), charts_query=state.query(),
    )  # fmt: skip


def map_charts(request: Request) -> Response:
    """``/api/map-charts``: the evidence-per-year and study-type specs (they read every evidence row,
    so the map page asks for them after it is shown)."""
    ws = workspace(request)
    state = _state(request)

    def compute() -> dict[str, Any]:
        with ws.engine.connect() as conn:
            years = overview.evidence_by_year(conn, state.filters)
            studies = overview.study_type_mix(conn, state.filters)
        return {"years": years_spec(years), "studies": study_mix_spec(studies)}

    return JSONResponse(ws.cache.get(("map-charts", state.filters), compute))


def findings(request: Request) -> Response:
    ws = workspace(request)
    state = _state(request)
    params = request.query_params
    sort = choice_param(params, "sort", FINDING_SORTS, "score")
    per = int_param(params, "per", PER_PAGE, low=1, high=500)
    page = int_param(params, "page", 1, low=1)
    offset = (page - 1) * per
    with ws.engine.connect() as conn:
        rows = list(q.finding_rows(conn, state.filters, sort=sort, limit=per + 1, offset=offset, top_pmids=False))
        if state.filters.has_evidence_terms:  # as query: counting those would read the evidence
            total = None
        else:
            total = ws.cache.get(("count", state.filters), lambda: q.count_findings(conn, state.filters))
    more = len(rows) > per
    return ws.page(
        request, "findings.html", state=state, fields=FORM_FIELDS, note=resolved_note(state), rows=rows[:per],
        sort=sort, sorts=FINDING_SORTS, page=page, per=per, more=more, total=total, offset=offset,
    )  # fmt: skip


def segments(sentence: str, spans: Iterable[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """The sentence cut at its entity spans: (text, facet label or None, concept key or None)."""
    out: list[tuple[str, str | None, str | None]] = []
    pos = 0
    marks = sorted(
        (int(s.get("start", 0)), int(s.get("end", 0)), str(s.get("label", "")), s.get("key"))
        for s in spans
        if isinstance(s, dict)
    )
    for start, end, label, key in marks:
        if start < pos or end <= start or end > len(sentence):
            continue  # overlapping or out of range: the text stays as it is
        if start > pos:
            out.append((sentence[pos:start], None, None))
        out.append((sentence[start:end], label.upper(), str(key) if key else None))
        pos = end
    if pos < len(sentence):
        out.append((sentence[pos:], None, None))
    return out


def _contradicting(line: overview.EvidenceLine, direction: str) -> bool:
    """The ranking's own rule (:func:`pdacmine.miner.rank.contradicts`)."""
    probe = EvidenceInput(0, 0, line.pmid, line.year, line.study_type, line.confidence, line.hedged, line.negated,
                          line.polarity, None)  # fmt: skip
    return contradicts(probe, direction)


def _explanation(request: Request, session: Session, found: Any) -> Any:
    """``explain_finding`` once per finding and score while the cache holds it (a decision clears the cache)."""
    key = ("explain", found.id, found.score, found.n_evidence)
    return workspace(request).cache.get(key, lambda: explain_finding(session, found))


def finding(request: Request) -> Response:
    """One finding: the terms of its score, its papers ranked by their value to the score (paged), and its
    evidence sentences, newest first (paged): a finding can hold thousands of each."""
    ws = workspace(request)
    ref = request.path_params["ref"]
    papers_page = int_param(request.query_params, "papers_page", 1, low=1)
    evidence_page = int_param(request.query_params, "evidence_page", 1, low=1)
    with Session(ws.engine) as session:
        try:
            found = get_finding(session, ref)
        except InputError as exc:
            return ws.page(request, "error.html", 404, title="No such finding", message=str(exc))
        explanation = _explanation(request, session, found)
        conn = session.connection()
        lines = list(overview.finding_evidence(conn, found.id, limit=EVIDENCE_PER_PAGE,
                                               offset=(evidence_page - 1) * EVIDENCE_PER_PAGE))  # fmt: skip
        score = explanation.score
        terms: dict[str, PaperTerm] = {}
        for t in score.terms:  # a paper's supporting side when it has both
            if t.pmid not in terms or t.role == "support":
                terms[t.pmid] = t
        ranked = sorted(terms.values(), key=lambda t: (-t.value, t.pmid))
        start = (papers_page - 1) * PAPERS_PER_PAGE
        shown = ranked[start : start + PAPERS_PER_PAGE]
        meta = overview.papers_by_pmid(conn, [t.pmid for t in shown])
    papers = [{"pmid": t.pmid, "year": t.year, "journal": meta[t.pmid].journal if t.pmid in meta else None,
               "title": meta[t.pmid].title if t.pmid in meta else None, "study_type": t.study_type,
               "retracted": meta[t.pmid].retracted if t.pmid in meta else False} for t in shown]  # fmt: skip
    evidence = [
        {"line": ln, "parts": segments(ln.sentence, ln.spans), "contradicting": _contradicting(ln, score.direction)}
        for ln in lines
    ]
    return ws.page(
        request, "finding.html", f=found, score=score, explain="\n".join(explain_lines(explanation)),
        papers=papers, paper_terms=terms, evidence=evidence, rejected=explanation.rejected,
        papers_page=papers_page, papers_pages=max(1, -(-len(ranked) // PAPERS_PER_PAGE)), n_papers=len(ranked),
        evidence_page=evidence_page, evidence_pages=max(1, -(-found.n_evidence // EVIDENCE_PER_PAGE)),
        papers_per=PAPERS_PER_PAGE, evidence_per=EVIDENCE_PER_PAGE, page_link=_page_link(request),
    )  # fmt: skip


def _page_link(request: Request) -> Any:
    """``link(name, n)``: this page's address with parameter ``name`` set to ``n``."""

    def link(name: str, n: int) -> str:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != name]
        return f"{request.url.path}?{urlencode([*kept, (name, str(n))])}"

    return link
