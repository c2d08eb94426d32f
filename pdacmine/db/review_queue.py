"""The review queue: evidence as the reviewer sees it (:class:`ReviewItem`), in ranked order, with counts.

Read-only; decisions are written by :mod:`pdacmine.db.review_decisions`, the trail is read by
:mod:`pdacmine.db.review_audit`. Items are keyed by ``evidence_key``; ``pmid`` is the record's key
(a PMID, or ``doi:<DOI>`` / ``record:<id>`` for a record without one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from pdacmine.db.conditions import evidence_conditions
from pdacmine.db.filters import Filters
from pdacmine.errors import InputError
from pdacmine.miner.evidence import CORRECTABLE, effective_slots
from pdacmine.miner.review import ACCEPTED, DECIDED, REJECTED, UNREVIEWED, DecisionState
from pdacmine.models import Article, Evidence, Finding, ReviewDecision

#: A SELECT of any columns (the queue adds, filters and orders columns step by step).
AnySelect = Select[*tuple[Any, ...]]

#: How many unreviewed items the interactive loop fetches at a time.
BATCH = 25


@dataclass(frozen=True)
class ReviewItem:
    """One evidence tuple as the reviewer sees it, with its current decision."""

    evidence_key: str
    article_id: int
    pmid: str
    year: int | None
    title: str
    sentence: str
    section: str | None
    spans: list[dict[str, Any]]
    machine: dict[str, Any]
    negated: bool
    hedged: bool
    study_type: str
    confidence: float
    score: float | None
    retracted: bool
    decision: DecisionState = field(default_factory=DecisionState)

    @property
    def effective(self) -> dict[str, Any]:
        return effective_slots(self.machine, self.decision.corrections)


_EV_COLUMNS = ("evidence_key", "article_id", "pmid", "sentence", "section", "spans", "negated", "hedged",
               "study_type", "confidence", *CORRECTABLE)  # fmt: skip
RD_COLUMNS = ("status", "corrections", "note", "revision", "reviewer")


def _items_query() -> AnySelect:
    """Plain columns, not entities: exporting 100k rows stays fast (no identity map)."""
    return (
        select(
            *(getattr(Evidence, c) for c in _EV_COLUMNS),
            Article.title,
            Article.pub_year,
            Article.retracted,
            Finding.score,
            *(getattr(ReviewDecision, c).label(f"rd_{c}") for c in RD_COLUMNS),
        )
        .select_from(Evidence)
        .join(Article, Article.id == Evidence.article_id)
        .outerjoin(Finding, Finding.id == Evidence.finding_id)
        .outerjoin(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)
        .where(Article.deleted.is_(False))
    )


def _filtered(stmt: AnySelect, filters: Filters | None) -> AnySelect:
    """The shared query filters (:mod:`pdacmine.db.filters`: facets test the effective finding).

    Review decides itself which statuses it shows (the queue: unreviewed; export ``--all``: every
    status), so the filters' default of hiding rejected evidence is switched off here.
    """
    return stmt if filters is None else stmt.where(*evidence_conditions(replace(filters, status="all")))


def _ranked(stmt: AnySelect) -> AnySelect:
    """Finding score (desc), then confidence (desc); evidence without a finding last."""
    return stmt.order_by(
        case((Finding.score.is_(None), 1), else_=0),
        Finding.score.desc(),
        Evidence.confidence.desc(),
        Evidence.id,
    )


def _unreviewed() -> Any:
    """No accept/reject decision: an anti-join, which PostgreSQL plans far better than a filter
    on the outer-joined decision row."""
    decided = aliased(ReviewDecision)
    return ~exists().where(decided.evidence_key == Evidence.evidence_key, decided.status.in_(DECIDED))


def machine_slots(ev: Evidence) -> dict[str, Any]:
    return {slot: getattr(ev, slot) for slot in CORRECTABLE}


def decision_from_columns(
    status: str | None, corrections: Any, note: str | None, revision: int, reviewer: str
) -> DecisionState:
    """The decision from its :data:`RD_COLUMNS` (no status: no decision row)."""
    if status is None:
        return DecisionState()
    return DecisionState(status, dict(corrections or {}), note, revision, reviewer)


def state_of(row: ReviewDecision | None) -> DecisionState:
    return DecisionState() if row is None else decision_from_columns(*(getattr(row, c) for c in RD_COLUMNS))


def _item(row: Any) -> ReviewItem:
    m = row._mapping
    return ReviewItem(
        evidence_key=m["evidence_key"],
        article_id=m["article_id"],
        pmid=m["pmid"],
        year=m["pub_year"],
        title=m["title"] or "",
        sentence=m["sentence"],
        section=m["section"],
        spans=list(m["spans"] or []),
        machine={slot: m[slot] for slot in CORRECTABLE},
        negated=bool(m["negated"]),
        hedged=bool(m["hedged"]),
        study_type=m["study_type"],
        confidence=m["confidence"],
        score=m["score"],
        retracted=bool(m["retracted"]),
        decision=decision_from_columns(*(m[f"rd_{c}"] for c in RD_COLUMNS)),
    )


def queue(
    session: Session,
    filters: Filters | None = None,
    *,
    exclude: Collection[str] = (),
    limit: int = BATCH,
) -> list[ReviewItem]:
    """The next unreviewed items in ranked order, leaving out ``exclude`` (skipped this session)."""
    stmt = _filtered(_items_query().where(_unreviewed()), filters)
    if exclude:
        stmt = stmt.where(Evidence.evidence_key.not_in(list(exclude)))
    return [_item(r) for r in session.execute(_ranked(stmt).limit(limit))]


def iter_items(
    session: Session,
    filters: Filters | None = None,
    *,
    include_reviewed: bool = False,
) -> Iterator[ReviewItem]:
    """Every (unreviewed, or with ``include_reviewed`` every) item in ranked order, streamed."""
    stmt = _filtered(_items_query(), filters)
    if not include_reviewed:
        stmt = stmt.where(_unreviewed())
    for row in session.execute(_ranked(stmt).execution_options(yield_per=500)):
        yield _item(row)


def load_item(session: Session, evidence_key: str) -> ReviewItem:
    """One item by key; an unknown key raises :class:`InputError`."""
    row = session.execute(_items_query().where(Evidence.evidence_key == evidence_key)).first()
    if row is None:
        raise InputError(f"no evidence with key {evidence_key}")
    return _item(row)


def review_counts(session: Session, filters: Filters | None = None) -> dict[str, int]:
    """How many items are unreviewed, accepted (``corrected``: accepted with corrections) and rejected."""
    status = func.coalesce(ReviewDecision.status, UNREVIEWED)
    base = _filtered(_items_query(), filters)
    counts = {"total": 0, UNREVIEWED: 0, ACCEPTED: 0, "corrected": 0, REJECTED: 0}
    grouped = base.with_only_columns(status, func.count()).group_by(status).order_by(None)
    for st, n in session.execute(grouped):
        counts[st] = counts.get(st, 0) + n
        counts["total"] += n
    accepted = base.with_only_columns(ReviewDecision.corrections).where(ReviewDecision.status == ACCEPTED)
    counts["corrected"] = sum(1 for (fixes,) in session.execute(accepted.order_by(None)) if fixes)
    return counts
