"""Findings recomputed over the evidence that passes the article-level filters.

With ``--since/--until``, ``--pmid`` or ``--study-type``, ``query`` and ``export findings`` must
not show a finding's all-time paper counts and score: here every finding that matches the facet
filters is scored again (same weights as the stored ranking) from only the evidence sentences whose
article (date, PMID) and study type pass, in one pass over that evidence. ``--min-papers`` and
``--status`` then test the recomputed counts. ``--text`` stays a selection (findings with a sentence
containing the words), not a restriction: a finding's other sentences are still its evidence.
Nothing is written.

Speed: sorted by score with a page size, findings are not all scored. One SQL pass (GROUP BY finding,
article) gives each finding an upper bound of its recomputed score: the sum over its passing papers of
the paper's best sentence value ``T * c * h`` (accepted: ``T``) times ``1 + W_mesh`` (recency and
retraction are at most 1, contradiction only subtracts). Findings are scored exactly, best bound first,
in steps, until the next bound is below the page's last score: the page is the one a full scoring gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql import ColumnElement

from pdacmine.db import finding_years
from pdacmine.db.conditions import evidence_restriction, finding_facets
from pdacmine.db.engine import chunked_in
from pdacmine.db.filters import Filters
from pdacmine.db.finding_members import member_select, mesh_hint, mesh_map, to_member
from pdacmine.errors import InputError
from pdacmine.miner.rank import Score, Weights, load_weights, score_finding
from pdacmine.models import Article, Evidence, Finding, ReviewDecision

F = Finding
#: Above this many articles the MeSH corroboration map is read in one scan instead of by id.
_MESH_SCAN_ABOVE = 5000
_DETAIL = (F.id, F.finding_key, F.mechanism_key, F.mechanism_category, F.stage, F.organ, F.therapy_key,
           F.therapy_class)  # fmt: skip
#: Most findings scored exactly in one step of the best-first walk (the first step is the page size).
_MAX_STEP = 1000
#: Years of recency given one by one in the SQL bound (older papers get the bound of the oldest).
_YEARS = 80
#: Slack for float sums done in another order (SQL vs Python) when comparing a bound to a score.
_SLACK = 1e-9
Scored = tuple[int, str, Score]  # finding id, finding key, score
SORT_KEYS: dict[str, Callable[[Scored], Any]] = {
    "score": lambda r: (-r[2].score, -r[2].n_papers, r[0]),
    "papers": lambda r: (-r[2].n_papers, -r[2].score, r[0]),
    "evidence": lambda r: (-r[2].n_evidence, -r[2].score, r[0]),
    "year": lambda r: (-(r[2].last_year or 0), -r[2].score, r[0]),
    "contradicting": lambda r: (-r[2].n_contradicting, -r[2].score, r[0]),
    "key": lambda r: (r[1],),
}
#: The part of a sort key before the score (counts: exact in the year sums too).
_EXACT_FIRST: dict[str, Callable[[Score], int]] = {
    "score": lambda s: 0,
    "papers": lambda s: -s.n_papers,
    "evidence": lambda s: -s.n_evidence,
    "year": lambda s: -(s.last_year or 0),
    "contradicting": lambda s: -s.n_contradicting,
}


def _keeps(s: Score, f: Filters) -> bool:
    """``--min-papers`` and ``--status`` on the recomputed counts (default: not everything rejected)."""
    if f.min_papers and s.n_papers < f.min_papers:
        return False
    if f.status is None:
        return s.n_accepted + s.n_unreviewed > 0
    if f.status in ("accepted", "rejected", "unreviewed"):
        return bool(getattr(s, f"n_{f.status}"))
    return True


def restricts_evidence(f: Filters) -> bool:
    """Whether ``f`` changes which evidence makes a finding's counts and score."""
    return bool(f.since or f.until or f.pmids or f.study_types)


def _with_words(conn: Connection, f: Filters) -> set[int] | None:
    """Findings with a passing sentence that contains every ``--text`` word (None: no --text)."""
    if not f.text:
        return None
    stmt = (
        select(Evidence.finding_id)
        .join(Article, Article.id == Evidence.article_id)
        .where(Evidence.finding_id.is_not(None), *evidence_restriction(f))
    )
    return set(conn.scalars(stmt.distinct()))


def _rescored(
    conn: Connection, f: Filters, ids: list[int] | None = None, selected: set[int] | None = None
) -> Iterator[Scored]:
    """(finding id, key, score over the passing evidence) of every finding with passing evidence (or of
    those among ``ids``) that ``selected`` keeps (None: all)."""
    stmt = (
        member_select()
        .add_columns(F.finding_key, F.organ)
        .join(F, F.id == Evidence.finding_id)
        .where(*evidence_restriction(replace(f, text=())), *finding_facets(f))
        .order_by(Evidence.finding_id)
    )
    if ids is not None:
        stmt = stmt.where(Evidence.finding_id.in_(ids))
    rows = [r for r in conn.execute(stmt) if selected is None or r[14] in selected]
    articles = {r[1] for r in rows}
    scan = ids is None and len(articles) > _MESH_SCAN_ABOVE  # a step of the walk reads its articles by id
    # by id: the MeSH of the findings' organs only, unless a row's organ is not its finding's (corrected since)
    mesh = mesh_map(conn, None if scan else articles, None if scan else {r[-1] for r in rows if r[-1]})
    members = [(r[14], r[-2], to_member(r[:-2], mesh)[1]) for r in rows]
    if not scan and any(m.slots[3] != r[-1] for r, (_, _, m) in zip(rows, members, strict=True)):
        mesh = mesh_map(conn, articles)
        members = [(r[14], r[-2], to_member(r[:-2], mesh)[1]) for r in rows]
    weights, year = load_weights(), date.today().year
    for fid, group in groupby(members, key=lambda m: m[0]):
        these = list(group)
        yield fid, these[0][1], score_finding([m.inp for _, _, m in these], weights, year)


def _sentence_bound(w: Weights) -> ColumnElement[float]:
    """``T * c * h`` of an evidence row in SQL (accepted: ``T``): at least the value ranking gives it."""
    study = case(dict(w.study_type), value=Evidence.study_type, else_=w.study_type["other"])
    conf = func.coalesce(Evidence.confidence, 0.5)
    clamped = case((conf < 0, 0.0), (conf > 1, 1.0), else_=conf)
    hedge = case((Evidence.hedged.is_(True), w.hedged), else_=1.0)
    return case((ReviewDecision.status == "accepted", study), else_=study * clamped * hedge)


def _paper_bound(w: Weights, year: int) -> ColumnElement[float]:
    """``R(year) * X * (1 + W_mesh m)`` of an article in SQL, at least what ranking gives it (m: MeSH may say so)."""
    oldest = year - _YEARS
    recency = case(
        (Article.pub_year.is_(None), w.recency_floor),
        (Article.pub_year >= year, 1.0),
        (Article.pub_year < oldest, w.recency(oldest, year)),
        else_=case({y: w.recency(y, year) for y in range(year - 1, oldest - 1, -1)}, value=Article.pub_year, else_=1.0),
    )
    retracted = case((Article.retracted.is_(True), w.retracted), else_=1.0)
    return recency * retracted * case((mesh_hint(Article.mesh), 1.0 + w.mesh_corroboration), else_=1.0)


def _bounds(conn: Connection, f: Filters, w: Weights) -> list[tuple[float, int]]:
    """(upper bound of the recomputed score, finding id) of every finding with passing evidence, best first."""
    value = _sentence_bound(w) * _paper_bound(w, date.today().year)
    per_paper = (
        select(Evidence.finding_id.label("fid"), func.max(value).label("best"))
        .join(Article, Article.id == Evidence.article_id)
        .join(F, F.id == Evidence.finding_id)
        .outerjoin(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)
        .where(*evidence_restriction(replace(f, text=())), *finding_facets(f))
        .group_by(Evidence.finding_id, Evidence.article_id)
        .subquery()
    )
    stmt = select(per_paper.c.fid, func.sum(per_paper.c.best)).group_by(per_paper.c.fid)
    return sorted(((float(total or 0.0), fid) for fid, total in conn.execute(stmt)), key=lambda b: (-b[0], b[1]))


def _best_first(conn: Connection, f: Filters, wanted: int) -> list[Scored]:
    """The findings a score-sorted page of ``wanted`` rows needs, scored exactly (see the module docstring)."""
    selected = _with_words(conn, f)
    bounds = [b for b in _bounds(conn, f, load_weights()) if selected is None or b[1] in selected]
    kept: list[Scored] = []
    start, step = 0, wanted
    while start < len(bounds):
        if len(kept) >= wanted:
            last = sorted(kept, key=SORT_KEYS["score"])[wanted - 1][2].score
            if bounds[start][0] * (1 + _SLACK) + _SLACK < last:
                break
        ids = [fid for _, fid in bounds[start : start + step]]
        kept += [r for r in _rescored(conn, f, ids, selected) if _keeps(r[2], f)]
        start, step = start + step, min(step * 2, _MAX_STEP)
    return kept


def _before(a: Scored, b: Scored, sort: str, w: Weights) -> bool:
    """Whether ``a`` comes before ``b`` in the order of ``sort`` whatever the rounding of their summed scores."""
    ka, kb = _EXACT_FIRST[sort](a[2]), _EXACT_FIRST[sort](b[2])
    if ka != kb:
        return ka < kb
    size = max(1.0, *(s.support + w.contradiction * s.contradiction for s in (a[2], b[2])))
    return a[2].score > b[2].score + _SLACK * size


def _summed_page(conn: Connection, f: Filters, sort: str, limit: int, offset: int, exact: bool) -> list[Scored]:
    """A page from the ``finding_years`` sums (:mod:`pdacmine.db.finding_years`): the rows that the sums
    cannot order (a score within rounding of a neighbour's, a direction in a near tie) are scored exactly,
    and so is the whole page when ``exact`` (top PMIDs). The same page as scoring every finding."""
    if limit <= 0:
        return []
    w, want = load_weights(), offset + limit
    size = want + 20
    while True:
        rows = finding_years.summed(conn, f, sort, size)
        tied = [r.finding_id for r in rows if r.tied]
        scored = {r[0]: r for r in _rescored(conn, f, tied)} if tied else {}
        kept = [scored.get(r.finding_id, (r.finding_id, "", r.score)) for r in rows]
        kept = sorted((r for r in kept if _keeps(r[2], f)), key=SORT_KEYS[sort])
        more = len(rows) == size
        end = min(want, len(kept)) - 1
        while 0 <= end < len(kept) - 1 and not _before(kept[end], kept[end + 1], sort, w):
            end += 1
        frontier = (rows[-1].finding_id, "", rows[-1].score) if rows else None
        if more and (end >= len(kept) - 1 or frontier is None or not _before(kept[end], frontier, sort, w)):
            size *= 4
            continue
        break
    if offset >= len(kept):
        return []
    start = offset
    while start > 0 and not _before(kept[start - 1], kept[start], sort, w):
        start -= 1
    window = kept[start : end + 1]
    # rows whose order the sums leave open (neighbours within rounding) or whose details are wanted: exactly
    loose = {r[0] for i, r in enumerate(window) if exact or _loose(window, i, sort, w)}
    again = {r[0]: r for r in _rescored(conn, f, sorted(loose))} if loose else {}
    page = sorted((again.get(r[0], r) for r in window), key=SORT_KEYS[sort])
    return [r for r in page if _keeps(r[2], f)][offset - start : offset - start + limit]


def _loose(rows: list[Scored], i: int, sort: str, w: Weights) -> bool:
    """Whether row ``i`` is within rounding of a neighbour (their order needs exact scores)."""
    return (i > 0 and not _before(rows[i - 1], rows[i], sort, w)) or (
        i + 1 < len(rows) and not _before(rows[i], rows[i + 1], sort, w)
    )


def filtered_finding_rows(
    conn: Connection,
    filters: Filters,
    *,
    sort: str = "score",
    limit: int | None = None,
    offset: int = 0,
    top_pmids: bool = True,
) -> Iterator[dict[str, Any]]:
    """Rows like :func:`pdacmine.db.query.finding_rows`, counts and scores over the filtered evidence only.

    ``top_pmids=False`` leaves a row's ``top_pmids`` empty where listing them would mean scoring its evidence
    (the browser does not show them): a page of whole years then comes from the year sums alone.
    """
    if sort not in SORT_KEYS:
        raise InputError(f"cannot sort findings by {sort!r}; use one of {', '.join(SORT_KEYS)}")
    if limit is not None and sort != "key" and finding_years.answers(conn, filters):
        page = _summed_page(conn, filters, sort, limit, offset, top_pmids)
    else:
        if sort == "score" and limit is not None:
            candidates: Iterable[Scored] = _best_first(conn, filters, offset + limit)
        else:
            selected = _with_words(conn, filters)
            candidates = (r for r in _rescored(conn, filters, selected=selected) if _keeps(r[2], filters))
        scored = sorted(candidates, key=SORT_KEYS[sort])
        page = scored[offset : None if limit is None else offset + limit]
    details: dict[int, Any] = {}
    for where in chunked_in(F.id, [fid for fid, _, _ in page]):
        details.update((r.id, r) for r in conn.execute(select(*_DETAIL).where(where)))
    for rank, (fid, _, s) in enumerate(page, start=offset + 1):
        d = details[fid]
        yield {
            "rank": rank, "finding_id": fid, "finding_key": d.finding_key, "mechanism": d.mechanism_key,
            "mechanism_category": d.mechanism_category, "stage": d.stage, "organ": d.organ, "therapy": d.therapy_key,
            "therapy_class": d.therapy_class, "direction": s.direction, "score": round(s.score, 4),
            "n_papers": s.n_papers, "n_contradicting": s.n_contradicting, "n_evidence": s.n_evidence,
            "n_accepted": s.n_accepted, "n_rejected": s.n_rejected, "n_unreviewed": s.n_unreviewed,
            "first_year": s.first_year, "last_year": s.last_year, "top_pmids": list(s.top_pmids),
        }  # fmt: skip
