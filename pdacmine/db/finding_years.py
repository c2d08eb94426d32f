"""``finding_years``: each finding's score terms and counts per publication year, and the sums over a year range.

The rows (:mod:`pdacmine.miner.rank_years`) are written by every refresh of the findings
(:mod:`pdacmine.db.findings`) from the same evidence rows the findings are scored from. A filter of
whole years (``--since 2020``, ``--until 2023``; facets, words and ``--min-papers``/``--status`` beside
it) is then answered by summing the rows of those years per finding (:func:`summed`) instead of
scoring the evidence again; so are the map's year and study-type charts (:func:`evidence_by_year`,
:func:`study_type_mix`). A day bound, ``--pmid`` or ``--study-type`` still read the evidence.

The sums are those of :func:`pdacmine.miner.rank.score_finding` added in another order: equal up to
floating-point rounding. Where the direction is a near tie (``pro`` and ``sup`` within :data:`TIE`),
the sums cannot say which side wins: such findings are flagged and their sort values are the larger
of the two sides (an upper bound), for the caller to score exactly.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, case, delete, func, insert, select
from sqlalchemy.sql import ColumnElement

from pdacmine.db.conditions import evidence_restriction, finding_conditions, finding_facets
from pdacmine.db.engine import chunked_in
from pdacmine.db.filters import Filters
from pdacmine.miner.rank import Score, Weights, load_weights
from pdacmine.miner.rank_years import DIRECTIONS, YearTerms
from pdacmine.miner.studytype import STUDY_TYPES
from pdacmine.models import Article, Evidence, Finding, FindingYear, FindingYearsState

FY = typing.cast(Table, FindingYear.__table__)
_STATE = typing.cast(Table, FindingYearsState.__table__)
#: Relative difference of ``pro`` and ``sup`` under which the direction is left to an exact scoring.
TIE = 1e-9
_STUDY_COLUMNS = tuple(f"n_{s.replace('-', '_')}" for s in STUDY_TYPES)


def year_rows(finding_id: int, organ: str | None, terms: Iterable[YearTerms]) -> list[dict[str, Any]]:
    """The ``finding_years`` rows of one finding."""
    out = []
    for t in terms:
        row: dict[str, Any] = {
            "finding_id": finding_id, "year": t.year, "organ": organ, "pro": t.pro, "sup": t.sup,
            "n_evidence": t.n_evidence, "n_accepted": t.n_accepted, "n_rejected": t.n_rejected,
        }  # fmt: skip
        for i, d in enumerate(DIRECTIONS):
            row[f"support_{d}"], row[f"contradiction_{d}"] = t.support[i], t.contradiction[i]
            row[f"papers_{d}"], row[f"contradicting_{d}"] = t.n_papers[i], t.n_contradicting[i]
        row.update(zip(_STUDY_COLUMNS, t.studies, strict=True))
        out.append(row)
    return out


def bound(terms: Iterable[YearTerms]) -> float:
    """``findings.year_bound``: the most the finding can score under any year filter (the support of the
    direction ``associated``, which every paper's best sentence supports, summed over every year)."""
    return float(sum(t.support[2] for t in terms))


def digest(terms: Sequence[YearTerms]) -> int:
    """``findings.years_digest``: a refresh that finds the same digest leaves the finding's rows as they are."""
    return hash(tuple(terms))  # numbers only: the same in every run


def insert_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(FY), list(rows))


def delete_rows(conn: Connection, finding_ids: Iterable[int] | None) -> None:
    """Delete the rows of these findings (None: every row)."""
    if finding_ids is None:
        conn.execute(delete(FY))
        return
    for where in chunked_in(FY.c.finding_id, finding_ids):
        conn.execute(delete(FY).where(where))


def mark_complete(conn: Connection, weights: Weights, reference_year: int) -> None:
    """After a full refresh: every finding's rows are there, scored with ``weights`` in ``reference_year``."""
    conn.execute(delete(_STATE))
    conn.execute(insert(_STATE).values(id=1, reference_year=reference_year, weights_digest=weights.digest))


def keep_complete(conn: Connection, weights: Weights, reference_year: int) -> None:
    """After an incremental refresh: the rows stay usable only if it scored as the full one did."""
    state = conn.execute(select(_STATE.c.reference_year, _STATE.c.weights_digest)).first()
    if state is not None and tuple(state) != (reference_year, weights.digest):
        conn.execute(delete(_STATE))


def answers(conn: Connection, f: Filters) -> bool:
    """Whether ``f`` restricts the evidence by whole years only and the rows were scored as a query scores
    now (today's reference year, the current weights)."""
    if not (f.since or f.until) or f.pmids or f.study_types:
        return False
    if (f.since and f.since.day) or (f.until and f.until.day):
        return False
    state = conn.execute(select(_STATE.c.reference_year, _STATE.c.weights_digest)).first()
    return state is not None and tuple(state) == (date.today().year, load_weights().digest)


def _years(f: Filters) -> list[ColumnElement[bool]]:
    out = []
    if f.since:
        out.append(FY.c.year >= f.since.year)
    if f.until:
        out.append(FY.c.year <= f.until.year)
    return out


class Summed(NamedTuple):
    """One finding's score and counts summed over the years (sort values: upper bounds when ``tied``)."""

    finding_id: int
    score: Score
    #: the direction is a near tie: score it exactly
    tied: bool


def _live(years: Any) -> Any:
    return case((years.c.n_evidence > years.c.n_rejected, years.c.year))


def _sums(f: Filters, ids: Sequence[int] | None) -> Any:
    """Per finding (of ``ids``: already past the facets), the sums of its rows in the years of ``f``."""
    cols = [FY.c.finding_id.label("fid"), *(func.sum(FY.c[c]).label(c) for c in ("pro", "sup"))]
    for part in ("support", "contradiction", "papers", "contradicting"):
        cols += [func.sum(FY.c[f"{part}_{d}"]).label(f"{part}_{d}") for d in DIRECTIONS]
    cols += [func.sum(FY.c[c]).label(c) for c in ("n_evidence", "n_accepted", "n_rejected")]
    cols += [func.min(_live(FY)).label("first_year"), func.max(_live(FY)).label("last_year")]
    stmt = select(*cols).where(*_years(f)).group_by(FY.c.finding_id)
    facets = finding_facets(f)
    if ids is not None:
        stmt = stmt.where(FY.c.finding_id.in_(ids))
    elif facets:
        stmt = stmt.join(Finding, Finding.id == FY.c.finding_id).where(*facets)
    if f.text:
        words = (
            select(Evidence.finding_id)
            .join(Article, Article.id == Evidence.article_id)
            .where(Evidence.finding_id.is_not(None), *evidence_restriction(f))
        )
        stmt = stmt.where(FY.c.finding_id.in_(words))
    return stmt.subquery()


def _larger(a: Any, b: Any) -> Any:
    return case((a >= b, a), else_=b)


#: Most findings a walk by ``year_bound`` sums before it sums every finding's rows at once instead; its
#: first step (at least twice the rows wanted).
_WALK_MAX, _WALK_FIRST = 6000, 100


def summed(conn: Connection, f: Filters, sort: str, limit: int) -> list[Summed]:
    """The first ``limit`` findings with evidence in the years of ``f`` that pass its facets, words,
    ``--min-papers`` and ``--status``, in the order of ``sort`` (score, papers, evidence, year or
    contradicting, as :data:`pdacmine.db.filtered_findings.SORT_KEYS`), as far as the sums tell.

    By score, findings are summed best ``year_bound`` first, until the next bound is below the
    ``limit``-th score: a first page sums the rows of a few hundred findings, not of every one."""
    if sort == "score":
        walked = _walk(conn, f, limit)
        if walked is not None:
            return walked
    return _summed(conn, f, sort, limit, None)


def _by_score(r: Summed) -> tuple[float, int, int]:
    return -r.score.score, -r.score.n_papers, r.finding_id


def _walk(conn: Connection, f: Filters, limit: int) -> list[Summed] | None:
    """:func:`summed` by score, walking findings by ``year_bound`` (None: past :data:`_WALK_MAX` findings)."""
    order = select(Finding.id, Finding.year_bound).where(*finding_facets(f))
    order = order.order_by(Finding.year_bound.desc().nulls_last(), Finding.id)
    got: list[Summed] = []
    walked, step = 0, max(2 * limit, _WALK_FIRST)
    while walked < _WALK_MAX:
        batch = conn.execute(order.limit(step).offset(walked)).all()
        if batch:
            got = sorted([*got, *_summed(conn, f, "score", len(batch), [fid for fid, _ in batch])], key=_by_score)
        walked += len(batch)
        if len(batch) < step:  # every finding summed
            return got[:limit]
        last = float(batch[-1][1] or 0.0)  # no finding not summed yet can score more
        if len(got) >= limit and got[limit - 1].score.score > last + TIE * (1.0 + abs(last)):
            return got[:limit]
        step = min(step * 4, _WALK_MAX - walked)
    return None


def _summed(conn: Connection, f: Filters, sort: str, limit: int, ids: Sequence[int] | None) -> list[Summed]:
    s = _sums(f, ids)
    w = load_weights()
    direction = case((s.c.sup > s.c.pro, 1), (s.c.pro > 0, 0), else_=2)
    tied = (s.c.pro > 0) & (s.c.sup > 0) & (func.abs(s.c.sup - s.c.pro) <= TIE * (s.c.sup + s.c.pro))

    def chosen(part: str) -> Any:
        p, q, a = (s.c[f"{part}_{d}"] for d in DIRECTIONS)
        return case((direction == 1, q), (direction == 0, p), else_=a)

    def bound(part: str) -> Any:
        return case((tied, _larger(s.c[f"{part}_promotes"], s.c[f"{part}_suppresses"])), else_=chosen(part))

    scores = {d: s.c[f"support_{d}"] - w.contradiction * s.c[f"contradiction_{d}"] for d in DIRECTIONS}
    score = case(
        (tied, _larger(scores["promotes"], scores["suppresses"])),
        (direction == 1, scores["suppresses"]),
        (direction == 0, scores["promotes"]),
        else_=scores["associated"],
    ).label("score")
    papers, contradicting = bound("papers").label("papers"), bound("contradicting").label("contradicting")
    unreviewed = s.c.n_evidence - s.c.n_accepted - s.c.n_rejected
    keep: list[ColumnElement[bool]] = []
    if f.min_papers:
        keep.append(papers >= f.min_papers)
    if f.status is None:
        keep.append(s.c.n_accepted + unreviewed > 0)
    elif f.status in ("accepted", "rejected", "unreviewed"):
        keep.append({"accepted": s.c.n_accepted, "rejected": s.c.n_rejected, "unreviewed": unreviewed}[f.status] > 0)
    stmt = select(
        s.c.fid, direction, tied, score, chosen("support"), chosen("contradiction"), papers, contradicting,
        s.c.n_evidence, s.c.n_accepted, s.c.n_rejected, s.c.first_year, s.c.last_year,
    ).where(*keep)  # fmt: skip
    order = {
        "score": (score.desc(), papers.desc(), s.c.fid),
        "papers": (papers.desc(), score.desc(), s.c.fid),
        "evidence": (s.c.n_evidence.desc(), score.desc(), s.c.fid),
        "year": (func.coalesce(s.c.last_year, 0).desc(), score.desc(), s.c.fid),
        "contradicting": (contradicting.desc(), score.desc(), s.c.fid),
    }
    year = date.today().year
    out = []
    for r in conn.execute(stmt.order_by(*order[sort]).limit(limit)):
        n_evidence, n_accepted, n_rejected = int(r[8]), int(r[9]), int(r[10])
        score_ = Score(
            score=float(r[3]), support=float(r[4]), contradiction=float(r[5]), direction=DIRECTIONS[r[1]],
            n_papers=int(r[6]), n_contradicting=int(r[7]), n_evidence=n_evidence, n_accepted=n_accepted,
            n_rejected=n_rejected, n_unreviewed=n_evidence - n_accepted - n_rejected, first_year=r[11],
            last_year=r[12], reference_year=year,
        )  # fmt: skip
        out.append(Summed(int(r[0]), score_, bool(r[2])))
    return out


def findings_in_years(conn: Connection, f: Filters) -> ColumnElement[bool] | None:
    """``findings.id IN (...)``: the findings with a sentence of ``f``'s review status in its whole years, from
    the rows (None when they do not answer ``f``: ask the evidence)."""
    if f.text or not answers(conn, f):
        return None
    unreviewed = FY.c.n_evidence - FY.c.n_accepted - FY.c.n_rejected
    status = {None: FY.c.n_evidence > FY.c.n_rejected, "all": FY.c.n_evidence > 0, "accepted": FY.c.n_accepted > 0,
              "rejected": FY.c.n_rejected > 0, "unreviewed": unreviewed > 0}[f.status]  # fmt: skip
    return Finding.id.in_(select(FY.c.finding_id).where(*_years(f), status))


# --- the map's charts --------------------------------------------------------------------------------


def _chart_rows(f: Filters) -> list[ColumnElement[bool]]:
    return [*_years(f), *([FY.c.finding_id.in_(select(Finding.id).where(*facets))] if (facets := _facets(f)) else [])]


def _facets(f: Filters) -> list[ColumnElement[bool]]:
    return finding_conditions(replace(f, since=None, until=None, status="all"))


def charts_answered(conn: Connection, f: Filters) -> bool:
    """The charts count live evidence by year: whole years, no words or status, and no evidence waiting to be
    ranked (it has no finding yet, so no rows)."""
    if f.text or f.status is not None or not answers(conn, f):
        return False
    waiting = (
        select(Evidence.id)
        .join(Article, Article.id == Evidence.article_id)
        .where(Evidence.finding_id.is_(None), Article.deleted.is_not(True))
    )
    return conn.scalar(waiting.limit(1)) is None


def evidence_by_year(conn: Connection, f: Filters) -> list[tuple[int, str, int]]:
    """:func:`pdacmine.db.overview.evidence_by_year` from the rows (when :func:`charts_answered`)."""
    live = func.sum(FY.c.n_evidence - FY.c.n_rejected)
    stmt = select(FY.c.year, FY.c.organ, live).where(*_chart_rows(f)).group_by(FY.c.year, FY.c.organ)  # index order
    counts: dict[tuple[int, str], int] = {}
    for year, organ, n in conn.execute(stmt):
        key = (int(year), str(organ or "unspecified"))
        counts[key] = counts.get(key, 0) + int(n)
    return [(y, o, n) for (y, o), n in counts.items() if n]


def study_type_mix(conn: Connection, f: Filters) -> list[tuple[str, int]] | None:
    """:func:`pdacmine.db.overview.study_type_mix` from the rows; None when some live evidence has a study type
    the rows do not count (then count the evidence)."""
    cols = [func.coalesce(func.sum(FY.c[c]), 0) for c in (*_STUDY_COLUMNS, "n_evidence", "n_rejected")]
    row = conn.execute(select(*cols).where(*_chart_rows(f))).one()
    counts, live = [int(n) for n in row[: len(STUDY_TYPES)]], int(row[-2]) - int(row[-1])
    if sum(counts) != live:
        return None
    return sorted(((t, n) for t, n in zip(STUDY_TYPES, counts, strict=True) if n), key=lambda tn: (-tn[1], tn[0]))
