"""Aggregates behind the browser workspace: the evidence map, a finding's evidence, review progress.

Every function takes an open :class:`~sqlalchemy.Connection` and a
:class:`~pdacmine.db.filters.Filters` (the same resolver and conditions as ``query``), and
returns plain records. Heat maps and review progress read the ``findings`` table (one row
per finding, already scored and counted); the year and study-type charts read the evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Select, case, exists, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from pdacmine.db import finding_years
from pdacmine.db.conditions import evidence_conditions, evidence_from, finding_conditions
from pdacmine.db.filters import Filters
from pdacmine.errors import InputError
from pdacmine.miner.review import DECIDED
from pdacmine.models import Article, Evidence, Finding, ReviewDecision

#: The finding columns a heat-map axis can show, and the filter option a cell click sets.
AXES: dict[str, tuple[Any, str]] = {
    "organ": (Finding.organ, "organ"),
    "stage": (Finding.stage, "stage"),
    "mechanism_category": (Finding.mechanism_category, "mechanism"),
    "therapy_class": (Finding.therapy_class, "therapy"),
}


@dataclass(frozen=True)
class Cell:
    """One heat-map cell: the summed score of its findings, their summed paper counts, how many findings."""

    row: str
    col: str
    score: float
    papers: int
    findings: int


def finding_filter(filters: Filters, conn: Connection | None = None) -> list[ColumnElement[bool]]:
    """:func:`~pdacmine.db.conditions.finding_conditions`, with evidence-level filters (dates, study type,
    words, PMIDs) as one ``id IN (matching evidence)`` set instead of a correlated subquery per finding:
    the same findings, one pass over the evidence instead of one probe per finding. Given ``conn``, whole
    years come from ``finding_years`` (:func:`pdacmine.db.finding_years.findings_in_years`)."""
    if not filters.has_evidence_terms:
        return finding_conditions(filters)
    facets = replace(filters, pmids=(), since=None, until=None, study_types=(), text=())
    in_years = finding_years.findings_in_years(conn, filters) if conn is not None else None
    if in_years is not None:
        return [*finding_conditions(facets), in_years]
    # the facets hold on the findings outside: inside, only the evidence and its article (no join with the
    # findings' wide rows, several times faster on a large database)
    rest = replace(filters, organs=(), stages=(), mechanism_keys=(), mechanism_categories=(), therapy_keys=(),
                   therapy_classes=(), min_papers=None)  # fmt: skip
    matching = (
        select(Evidence.finding_id)
        .join(Article, Article.id == Evidence.article_id)
        .outerjoin(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)
        .where(Evidence.finding_id.is_not(None), *evidence_conditions(rest))
    )
    return [*finding_conditions(facets), Finding.id.in_(matching)]


def heatmaps(conn: Connection, filters: Filters, pairs: Sequence[tuple[str, str]]) -> list[list[Cell]]:
    """One heat map per (rows, columns) pair of :data:`AXES` (findings with either slot empty are left out),
    all from one grouped read of the findings."""
    for axis in {a for pair in pairs for a in pair} - set(AXES):
        raise InputError(f"unknown heat map axis {axis!r}; use one of {', '.join(AXES)}")
    cols = [AXES[a][0] for a in AXES]
    stmt = select(*cols, func.sum(Finding.score), func.sum(Finding.n_papers), func.count())
    sums: list[dict[tuple[str, str], list[float]]] = [{} for _ in pairs]
    names = list(AXES)
    for row in conn.execute(stmt.where(*finding_filter(filters, conn)).group_by(*cols)):
        values = dict(zip(names, row[: len(names)], strict=True))
        score, papers, n = row[len(names) :]
        for cells, (r, c) in zip(sums, pairs, strict=True):
            if values[r] is not None and values[c] is not None:
                total = cells.setdefault((str(values[r]), str(values[c])), [0.0, 0, 0])
                total[0] += float(score or 0)
                total[1] += int(papers or 0)
                total[2] += int(n)
    return [[Cell(r, c, round(t[0], 4), int(t[1]), int(t[2])) for (r, c), t in sorted(cells.items())] for cells in sums]


def evidence_by_year(conn: Connection, filters: Filters) -> list[tuple[int, str, int]]:
    """(publication year, organ or "unspecified", evidence sentences) of the evidence that passes ``filters``
    (the organ of the finding it is ranked into; evidence not ranked yet: its own). Whole years are summed
    from ``finding_years``."""
    if finding_years.charts_answered(conn, filters):
        return finding_years.evidence_by_year(conn, filters)
    organ = func.coalesce(case((Evidence.finding_id.is_(None), Evidence.organ), else_=Finding.organ), "unspecified")
    stmt = evidence_from(Article.pub_year, organ, func.count()).where(
        *evidence_conditions(filters), Article.pub_year.is_not(None)
    )
    return [(int(y), str(o), int(n)) for y, o, n in conn.execute(stmt.group_by(Article.pub_year, organ))]


def study_type_mix(conn: Connection, filters: Filters) -> list[tuple[str, int]]:
    """(study type, evidence sentences) of the evidence that passes ``filters``, largest first."""
    if finding_years.charts_answered(conn, filters):
        mix = finding_years.study_type_mix(conn, filters)
        if mix is not None:
            return mix
    stmt = evidence_from(Evidence.study_type, func.count()).where(*evidence_conditions(filters))
    rows = conn.execute(stmt.group_by(Evidence.study_type))
    return sorted(((str(t or "other"), int(n)) for t, n in rows), key=lambda tn: (-tn[1], tn[0]))


def review_progress(conn: Connection, filters: Filters) -> dict[str, int]:
    """Accepted, rejected and unreviewed evidence summed over the findings that pass ``filters``."""
    stmt: Select[*tuple[Any, ...]] = select(
        func.coalesce(func.sum(Finding.n_accepted), 0),
        func.coalesce(func.sum(Finding.n_rejected), 0),
        func.coalesce(func.sum(Finding.n_unreviewed), 0),
    )
    acc, rej, new = conn.execute(stmt.where(*finding_filter(replace(filters, status="all"), conn))).one()
    return {"accepted": int(acc), "rejected": int(rej), "unreviewed": int(new), "total": int(acc + rej + new)}


@dataclass(frozen=True)
class EvidenceLine:
    """One evidence sentence of a finding, with its paper and review state."""

    evidence_key: str
    pmid: str
    year: int | None
    journal: str | None
    title: str | None
    study_type: str
    sentence: str
    spans: list[dict[str, Any]]
    polarity: str
    negated: bool
    hedged: bool
    confidence: float
    status: str
    reviewer: str | None
    retracted: bool


def finding_evidence(conn: Connection, finding_id: int, *, limit: int = 500, offset: int = 0) -> Iterator[EvidenceLine]:
    """The evidence sentences linked to one finding, newest papers first (at most ``limit``, from ``offset``)."""
    E, A, RD = Evidence, Article, ReviewDecision
    stmt = (
        select(E.evidence_key, E.pmid, A.pub_year, A.journal, A.title, E.study_type, E.sentence, E.spans,
               E.polarity, E.negated, E.hedged, E.confidence, RD.status, RD.reviewer, RD.corrections, A.retracted)
        .join(A, A.id == E.article_id)
        .outerjoin(RD, RD.evidence_key == E.evidence_key)
        .where(E.finding_id == finding_id, A.deleted.is_not(True))
        .order_by(func.coalesce(A.pub_year, 0).desc(), E.pmid, E.id)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    for r in conn.execute(stmt):
        polarity = (r.corrections or {}).get("polarity", r.polarity) or "associated"
        yield EvidenceLine(
            r.evidence_key, r.pmid, r.pub_year, r.journal, r.title, r.study_type or "other", r.sentence,
            list(r.spans or []), polarity, bool(r.negated), bool(r.hedged), float(r.confidence or 0),
            r.status or "unreviewed", r.reviewer, bool(r.retracted),
        )  # fmt: skip


@dataclass(frozen=True)
class PaperLine:
    pmid: str
    journal: str | None
    title: str | None
    retracted: bool


def papers_by_pmid(conn: Connection, pmids: Collection[str]) -> dict[str, PaperLine]:
    """Journal, title and retraction of the (non-withdrawn) articles with these PMIDs (a page of papers)."""
    stmt = select(Article.pmid, Article.journal, Article.title, Article.retracted).where(
        Article.pmid.in_(list(pmids)), Article.deleted.is_not(True)
    )
    return {str(r[0]): PaperLine(str(r[0]), r[1], r[2], bool(r[3])) for r in conn.execute(stmt)} if pmids else {}


def next_to_review(conn: Connection, filters: Filters, exclude: Collection[str] = (), *, rounds: int = 7) -> str | None:
    """The key of the best unreviewed evidence in ``queue``'s order (finding score, confidence), found by
    walking the findings best-first in growing batches (1, 4, 16... findings): on a large database much
    faster than sorting every unreviewed sentence. None when ``rounds`` batches hold nothing (then ask
    :func:`~pdacmine.db.review_queue.queue`, which also sees evidence not yet ranked into a finding)."""
    facets = replace(filters, status="all", pmids=(), since=None, until=None, study_types=(), text=())
    candidates = (
        select(Finding.id)
        .where(*finding_conditions(facets), Finding.n_unreviewed > 0)
        .order_by(Finding.score.desc(), Finding.id)
    )
    decided = aliased(ReviewDecision)
    undecided = ~exists().where(decided.evidence_key == Evidence.evidence_key, decided.status.in_(DECIDED))
    evidence = evidence_conditions(replace(filters, status="all"))
    offset = 0
    for n in range(rounds):
        size = 4**n
        ids = list(conn.scalars(candidates.limit(size).offset(offset)))
        offset += size
        if not ids:
            return None
        stmt = evidence_from(Evidence.evidence_key, linked_only=True).where(
            Evidence.finding_id.in_(ids), *evidence, undecided
        )
        if exclude:
            stmt = stmt.where(Evidence.evidence_key.not_in(list(exclude)))
        # one finding (the first round): its own order, which the index of migration 0009 hands over on
        # SQLite and PostgreSQL alike (PostgreSQL does not see that the score is the same for every row)
        within = (Evidence.confidence.desc(), Evidence.id)
        order = within if len(ids) == 1 else (Finding.score.desc(), *within)
        key = conn.scalar(stmt.order_by(*order).limit(1))
        if key is not None:
            return str(key)
    return None
