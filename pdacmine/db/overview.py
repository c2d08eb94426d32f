"""Aggregates behind the browser workspace: the evidence map, a finding's evidence, review progress.

Every function takes an open :class:`~sqlalchemy.Connection` and a
:class:`~pdacmine.db.filters.Filters` (the same resolver and conditions as ``query``), and
returns plain records. Heat maps and review progress read the ``findings`` table (one row
per finding, already scored and counted); the year and study-type charts read the evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Select, func, select

from pdacmine.db.filters import Filters, apply_findings, evidence_conditions, evidence_from
from pdacmine.errors import InputError
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


def heatmap(conn: Connection, filters: Filters, rows: str, cols: str) -> list[Cell]:
    """Findings grouped by two axes of :data:`AXES` (findings with either slot empty are left out)."""
    if rows not in AXES or cols not in AXES:
        raise InputError(f"a heat map axis is one of {', '.join(AXES)}")
    r, c = AXES[rows][0], AXES[cols][0]
    stmt = (
        select(r, c, func.sum(Finding.score), func.sum(Finding.n_papers), func.count())
        .where(r.is_not(None), c.is_not(None))
        .group_by(r, c)
    )
    return [
        Cell(str(a), str(b), round(float(s or 0), 4), int(p or 0), int(n))
        for a, b, s, p, n in conn.execute(apply_findings(stmt, filters))
    ]


def evidence_by_year(conn: Connection, filters: Filters) -> list[tuple[int, str, int]]:
    """(publication year, organ or "unspecified", evidence sentences) of the evidence that passes ``filters``."""
    organ = func.coalesce(Finding.organ, Evidence.organ, "unspecified")
    stmt = evidence_from(Article.pub_year, organ, func.count()).where(
        *evidence_conditions(filters), Article.pub_year.is_not(None)
    )
    return [(int(y), str(o), int(n)) for y, o, n in conn.execute(stmt.group_by(Article.pub_year, organ))]


def study_type_mix(conn: Connection, filters: Filters) -> list[tuple[str, int]]:
    """(study type, evidence sentences) of the evidence that passes ``filters``, largest first."""
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
    acc, rej, new = conn.execute(apply_findings(stmt, replace(filters, status="all"))).one()
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


def finding_evidence(conn: Connection, finding_id: int, *, limit: int = 500) -> Iterator[EvidenceLine]:
    """The evidence sentences linked to one finding, newest papers first (at most ``limit``)."""
    E, A, RD = Evidence, Article, ReviewDecision
    stmt = (
        select(E.evidence_key, E.pmid, A.pub_year, A.journal, A.title, E.study_type, E.sentence, E.spans,
               E.polarity, E.negated, E.hedged, E.confidence, RD.status, RD.reviewer, RD.corrections, A.retracted)
        .join(A, A.id == E.article_id)
        .outerjoin(RD, RD.evidence_key == E.evidence_key)
        .where(E.finding_id == finding_id, A.deleted.is_not(True))
        .order_by(func.coalesce(A.pub_year, 0).desc(), E.pmid, E.id)
        .limit(limit)
    )  # fmt: skip
    for r in conn.execute(stmt):
        polarity = (r.corrections or {}).get("polarity", r.polarity) or "associated"
        yield EvidenceLine(
            r.evidence_key, r.pmid, r.pub_year, r.journal, r.title, r.study_type or "other", r.sentence,
            list(r.spans or []), polarity, bool(r.negated), bool(r.hedged), float(r.confidence or 0),
            r.status or "unreviewed", r.reviewer, bool(r.retracted),
        )  # fmt: skip
