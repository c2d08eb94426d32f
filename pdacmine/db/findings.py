"""Keep the ``findings`` table current: group evidence by its effective key, score each group, write.

Every evidence row belongs to the finding of its *effective* slots (machine slots
with the reviewer's corrections applied); ``Evidence.finding_id`` records it.
A full refresh streams the evidence table sorted by machine key, so memory stays
flat at a million rows; rows a reviewer moved to another key are loaded first
(there are few) and merged into their target group. An incremental refresh
recomputes only the findings that the given articles' evidence belongs to, now
or before, plus any finding whose evidence count no longer matches (evidence
deleted by a re-extraction). Functions flush; the caller commits.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import Text, bindparam, cast, delete, false, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from pdacmine.miner.evidence import effective_slots, finding_key
from pdacmine.miner.rank import EvidenceInput, Score, Weights, load_weights, mesh_organs, score_finding
from pdacmine.models import Article, Evidence, Finding, ReviewDecision
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

#: Above this many articles an incremental refresh is done as a full one.
FULL_REFRESH_ABOVE = 5000
_CHUNK = 900
_BATCH = 1000

E, A, RD = Evidence, Article, ReviewDecision
_COLUMNS = (
    E.id, E.article_id, E.pmid, E.mechanism_key, E.mechanism_category, E.stage, E.organ, E.therapy_key,
    E.therapy_class, E.polarity, E.negated, E.hedged, E.study_type, E.confidence, E.finding_id,
    A.pub_year, A.retracted, A.deleted, RD.status, RD.corrections,
)  # fmt: skip
_MACHINE = ("mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class", "polarity")


class _Row(NamedTuple):
    id: int
    article_id: int
    pmid: str
    mechanism_key: str | None
    mechanism_category: str | None
    stage: str | None
    organ: str | None
    therapy_key: str | None
    therapy_class: str | None
    polarity: str | None
    negated: bool
    hedged: bool
    study_type: str | None
    confidence: float | None
    finding_id: int | None
    pub_year: int | None
    retracted: bool
    deleted: bool
    status: str | None
    corrections: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Placed:
    """One evidence row with its effective slots."""

    row: _Row
    key: str
    slots: dict[str, Any]


def _select() -> Any:
    return select(*_COLUMNS).join(A, A.id == E.article_id).outerjoin(RD, RD.evidence_key == E.evidence_key)


def _follow_vocabulary(slots: dict[str, Any], corrections: dict[str, Any]) -> None:
    """A corrected concept brings its category/class from the vocabulary when the reviewer gave none."""
    from pdacmine.miner.nlp.vocab import default_vocabulary

    for key_slot, cat_slot, facet in (
        ("mechanism_key", "mechanism_category", "MECHANISM"),
        ("therapy_key", "therapy_class", "THERAPY"),
    ):
        if key_slot in corrections and cat_slot not in corrections:
            concept = default_vocabulary().get(facet, slots[key_slot]) if slots[key_slot] else None
            slots[cat_slot] = concept.category if concept else None


def _place(row: _Row) -> _Placed:
    machine = {k: getattr(row, k) for k in _MACHINE}
    if row.corrections:
        slots = effective_slots(machine, row.corrections)
        _follow_vocabulary(slots, row.corrections)
    else:
        slots = machine
    key = finding_key(slots["mechanism_key"], slots["stage"], slots["organ"], slots["therapy_key"])
    return _Placed(row, key, slots)


def _mesh_map(session: Session, article_ids: Iterable[int] | None) -> dict[int, frozenset[str]]:
    """Article id -> organs its MeSH headings corroborate (only articles that have any)."""
    text = cast(A.mesh, Text)
    hint = or_(text.like("%Q000556%"), text.like("%secondary%"), text.like("%D008207%"))
    out: dict[int, frozenset[str]] = {}
    for where in _chunked_in(A.id, article_ids):
        stmt = select(A.id, A.mesh).where(hint, *([where] if where is not None else []))
        for art_id, mesh in session.execute(stmt.execution_options(yield_per=2000)):
            organs = mesh_organs(mesh)
            if organs:
                out[art_id] = organs
    return out


def _chunked_in(column: Any, values: Iterable[int] | None) -> Iterator[ColumnElement[bool] | None]:
    if values is None:
        yield None
        return
    ordered = sorted(set(values))
    for i in range(0, len(ordered), _CHUNK):
        yield column.in_(ordered[i : i + _CHUNK])


def _inputs(placed: Sequence[_Placed], mesh: dict[int, frozenset[str]]) -> list[EvidenceInput]:
    return [
        EvidenceInput(
            evidence_id=p.row.id,
            article_id=p.row.article_id,
            pmid=p.row.pmid,
            year=p.row.pub_year,
            study_type=p.row.study_type or "other",
            confidence=p.row.confidence if p.row.confidence is not None else 0.5,
            hedged=bool(p.row.hedged),
            negated=bool(p.row.negated),
            polarity=p.slots["polarity"] or "associated",
            status=p.row.status if p.row.status in ("accepted", "rejected") else None,
            mesh_corroborated=p.slots["organ"] in mesh.get(p.row.article_id, ()),
            retracted=bool(p.row.retracted),
        )
        for p in placed
    ]


def _mode(values: Iterable[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def _finding_values(key: str, placed: Sequence[_Placed], score: Score, weights: Weights) -> dict[str, Any]:
    live = [p for p in placed if p.row.status != "rejected"] or list(placed)
    first = placed[0].slots
    return {
        "finding_key": key,
        "mechanism_key": first["mechanism_key"],
        "mechanism_category": _mode(p.slots["mechanism_category"] for p in live),
        "stage": first["stage"],
        "organ": first["organ"],
        "therapy_key": first["therapy_key"],
        "therapy_class": _mode(p.slots["therapy_class"] for p in live),
        "n_papers": score.n_papers,
        "n_evidence": score.n_evidence,
        "n_contradicting": score.n_contradicting,
        "n_accepted": score.n_accepted,
        "n_rejected": score.n_rejected,
        "n_unreviewed": score.n_unreviewed,
        "first_year": score.first_year,
        "last_year": score.last_year,
        "score": score.score,
        "score_detail": score.detail(weights),
        "updated_at": utcnow(),
    }


class _Writer:
    """Batches finding inserts/updates and remembers which evidence rows need a new ``finding_id``."""

    def __init__(self, session: Session, existing: dict[str, int], weights: Weights, year: int) -> None:
        self.session, self.existing, self.weights, self.year = session, existing, weights, year
        self.mesh: dict[int, frozenset[str]] = {}
        self.inserts: list[tuple[dict[str, Any], list[tuple[int, int | None]]]] = []
        self.updates: list[dict[str, Any]] = []
        self.link_evidence, self.link_finding = array("q"), array("q")
        self.unlink: list[int] = []
        self.written: set[int] = set()

    def put(self, key: str, placed: Sequence[_Placed]) -> None:
        score = score_finding(_inputs(placed, self.mesh), self.weights, self.year)
        values = _finding_values(key, placed, score, self.weights)
        members = [(p.row.id, p.row.finding_id) for p in placed]
        fid = self.existing.get(key)
        if fid is None:
            self.inserts.append((values, members))
        else:
            self.updates.append({"id": fid, **values})
            self._link(fid, members)
        if len(self.inserts) + len(self.updates) >= _BATCH:
            self.flush()

    def _link(self, fid: int, members: Iterable[tuple[int, int | None]]) -> None:
        self.written.add(fid)
        for evidence_id, current in members:
            if current != fid:
                self.link_evidence.append(evidence_id)
                self.link_finding.append(fid)

    def flush(self) -> None:
        if self.updates:
            self.session.execute(update(Finding), self.updates)
            self.updates = []
        if self.inserts:
            stmt = insert(Finding).returning(Finding.id, Finding.finding_key)
            ids = {k: i for i, k in self.session.execute(stmt, [v for v, _ in self.inserts])}
            for values, members in self.inserts:
                self.existing[values["finding_key"]] = ids[values["finding_key"]]
                self._link(ids[values["finding_key"]], members)
            self.inserts = []

    def finish(self, stale: Iterable[int]) -> int:
        """Write links, unlink rows of withdrawn articles, delete findings left without evidence."""
        self.flush()
        table = Evidence.__table__
        relink = update(table).where(table.c.id == bindparam("eid")).values(finding_id=bindparam("fid"))
        for i in range(0, len(self.link_evidence), 5000):
            chunk = zip(self.link_evidence[i : i + 5000], self.link_finding[i : i + 5000], strict=True)
            self.session.execute(relink, [{"eid": e, "fid": f} for e, f in chunk])
        for where in _chunked_in(E.id, self.unlink):
            self.session.execute(update(table).where(where).values(finding_id=None))
        gone = sorted(set(stale) - self.written)
        for where in _chunked_in(Finding.id, gone):
            self.session.execute(delete(Finding).where(where))
        return len(self.written) + len(gone)


def _existing(session: Session, keys: Iterable[str] | None = None) -> dict[str, int]:
    stmt = select(Finding.finding_key, Finding.id)
    if keys is None:
        return {k: i for k, i in session.execute(stmt)}
    out: dict[str, int] = {}
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), _CHUNK):
        out.update({k: fid for k, fid in session.execute(stmt.where(Finding.finding_key.in_(ordered[i : i + _CHUNK])))})
    return out


def _full(session: Session, weights: Weights, year: int) -> int:
    existing = _existing(session)
    writer = _Writer(session, dict(existing), weights, year)
    writer.mesh = _mesh_map(session, None)
    moved, moved_ids = _moved(session)
    order = [func.coalesce(c, "") for c in (E.mechanism_key, E.stage, E.organ, E.therapy_key)]
    stmt = _select().where(A.deleted == false()).order_by(*order, E.id)
    rows = (_Row(*r) for r in session.execute(stmt.execution_options(stream_results=True, yield_per=5000)))
    for key, group in groupby((_place(r) for r in rows if r.id not in moved_ids), key=lambda p: p.key):
        writer.put(key, [*group, *moved.pop(key, [])])
    for key, placed in moved.items():
        writer.put(key, placed)
    withdrawn = select(A.id).where(A.deleted.is_(True))
    session.execute(
        update(Evidence).where(E.finding_id.is_not(None), E.article_id.in_(withdrawn)).values(finding_id=None)
    )
    return writer.finish(existing.values())


def _moved(session: Session) -> tuple[dict[str, list[_Placed]], set[int]]:
    """Evidence that reviewer corrections moved to another finding key, grouped by that key."""
    moved: dict[str, list[_Placed]] = {}
    stmt = _select().where(RD.evidence_key.is_not(None), A.deleted == false())
    for placed in (_place(_Row(*r)) for r in session.execute(stmt)):
        row = placed.row
        if placed.key != finding_key(row.mechanism_key, row.stage, row.organ, row.therapy_key):
            moved.setdefault(placed.key, []).append(placed)
    return moved, {p.row.id for group in moved.values() for p in group}


def _load(session: Session, where: ColumnElement[bool], seen: set[int]) -> list[_Placed]:
    out = []
    for r in session.execute(_select().where(where)):
        row = _Row(*r)
        if row.id not in seen:
            seen.add(row.id)
            out.append(_place(row))
    return out


def stale_findings(session: Session) -> set[int]:
    """Findings whose stored evidence count differs from the rows linked to them (evidence was deleted)."""
    linked = session.scalar(select(func.count()).select_from(E).where(E.finding_id.is_not(None))) or 0
    stored = session.scalar(select(func.coalesce(func.sum(Finding.n_evidence), 0))) or 0
    if linked == stored:
        return set()
    counts = select(E.finding_id, func.count().label("n")).where(E.finding_id.is_not(None)).group_by(E.finding_id)
    sub = counts.subquery()
    stmt = select(Finding.id).outerjoin(sub, sub.c.finding_id == Finding.id)
    return set(session.scalars(stmt.where(func.coalesce(sub.c.n, 0) != Finding.n_evidence)))


def _incremental(session: Session, article_ids: set[int], weights: Weights, year: int) -> int:
    seen: set[int] = set()
    placed: list[_Placed] = []
    for where in _chunked_in(E.article_id, article_ids):
        assert where is not None
        placed += _load(session, where, seen)
    placed += _load(session, E.finding_id.is_(None), seen)
    finding_ids = {p.row.finding_id for p in placed if p.row.finding_id} | stale_findings(session)
    keys = {p.key for p in placed if not p.row.deleted}
    loaded: set[int] = set()
    existing: dict[str, int] = {}
    while True:
        existing.update(_existing(session, keys - set(existing)))
        by_id = {fid: k for k, fid in existing.items()}
        finding_ids |= set(by_id)
        todo = finding_ids - loaded
        if not todo:
            break
        for where in _chunked_in(E.finding_id, todo):
            assert where is not None
            more = _load(session, where, seen)
            placed += more
            keys |= {p.key for p in more if not p.row.deleted}
        loaded |= todo
        keys |= {k for k, fid in _keys_of(session, todo).items()}
    writer = _Writer(session, existing, weights, year)
    writer.mesh = _mesh_map(session, {p.row.article_id for p in placed})
    groups: dict[str, list[_Placed]] = {}
    for p in placed:
        if p.row.deleted:
            if p.row.finding_id is not None:
                writer.unlink.append(p.row.id)
        else:
            groups.setdefault(p.key, []).append(p)
    for key in sorted(groups):
        writer.put(key, sorted(groups[key], key=lambda p: p.row.id))
    return writer.finish(finding_ids)


def _keys_of(session: Session, finding_ids: Iterable[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for where in _chunked_in(Finding.id, finding_ids):
        out.update({k: i for k, i in session.execute(select(Finding.finding_key, Finding.id).where(where))})
    return out


def refresh_findings(
    session: Session,
    article_ids: Iterable[int] | None = None,
    *,
    weights: Weights | None = None,
    reference_year: int | None = None,
) -> int:
    """Recompute findings; returns how many were written or deleted.

    ``article_ids=None`` recomputes everything (streaming, flat memory). Otherwise only the
    findings that those articles' evidence belongs to, now or before this refresh, plus findings
    that lost evidence to a re-extraction. The session is flushed, not committed.
    """
    w = weights or load_weights()
    year = reference_year or date.today().year
    ids = None if article_ids is None else set(article_ids)
    if ids is not None and len(ids) > FULL_REFRESH_ABOVE:
        logger.info("%d articles changed: refreshing every finding", len(ids))
        ids = None
    if ids is not None and reference_year is None and _year_changed(session, year):
        logger.info("a new year began since the last ranking: refreshing every finding (recency)")
        ids = None
    n = _full(session, w, year) if ids is None else _incremental(session, ids, w, year)
    session.flush()
    session.expire_all()  # bulk statements bypassed the identity map
    logger.info("refreshed %d findings", n)
    return n


def _year_changed(session: Session, year: int) -> bool:
    """True when some finding was scored against an earlier reference year (recency would be stale)."""
    oldest = session.scalar(select(func.min(Finding.updated_at)))
    return oldest is not None and oldest.year < year
