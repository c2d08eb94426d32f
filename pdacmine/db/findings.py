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
import typing
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, false, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from pdacmine.db import finding_years
from pdacmine.db.engine import chunked_in
from pdacmine.db.finding_members import Member, machine_key, member_rows, member_select, mesh_map, to_member
from pdacmine.miner.rank import Weights, load_weights, score_finding
from pdacmine.miner.rank_years import YearTerms, year_terms
from pdacmine.models import Article, Evidence, Finding, ReviewDecision
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

#: Above this many articles an incremental refresh is done as a full one.
FULL_REFRESH_ABOVE = 5000
_BATCH = 2000

E, A, RD = Evidence, Article, ReviewDecision
_FINDINGS = typing.cast(Table, Finding.__table__)
_EVIDENCE = typing.cast(Table, Evidence.__table__)
#: Finding columns compared to decide whether a recomputed finding changed at all.
_COMPARED = (
    "score", "n_papers", "n_evidence", "n_contradicting", "n_accepted", "n_rejected", "n_unreviewed",
    "first_year", "last_year", "mechanism_category", "therapy_class", "year_bound", "years_digest",
)  # fmt: skip


def _mode(values: Iterable[str | None]) -> str | None:
    """Most common non-empty value (ties: alphabetical first)."""
    present = [v for v in values if v]
    if len(set(present)) <= 1:
        return present[0] if present else None
    counts = Counter(present)
    return min(counts, key=lambda v: (-counts[v], v))


class _Writer:
    """Writes recomputed findings in batches (skipping unchanged ones: ``years_digest`` says whether their
    ``finding_years`` rows changed too) with their ``finding_years`` rows, and collects evidence re-links."""

    def __init__(self, conn: Connection, existing: dict[str, tuple[int, int]], weights: Weights, year: int) -> None:
        self.conn, self.existing, self.weights, self.year = conn, existing, weights, year
        self.years: list[dict[str, Any]] = []
        self.new_years: dict[str, tuple[str | None, list[YearTerms]]] = {}
        self.mesh: dict[int, frozenset[str]] = {}
        self.now = utcnow()
        self.inserts: list[tuple[dict[str, Any], Sequence[Member]]] = []
        self.updates: list[dict[str, Any]] = []
        self.link_evidence, self.link_finding = array("q"), array("q")
        self.unlink: list[int] = []
        self.written: set[int] = set()
        self.changed = 0

    def put(self, key: str, members: Sequence[Member]) -> None:
        inputs = [m.inp for m in members]
        score = score_finding(inputs, self.weights, self.year)
        terms = year_terms(inputs, self.weights, self.year)
        live = [m for m in members if m.inp.status != "rejected"] or list(members)
        mk, _, st, org, tk, _ = members[0].slots
        values = {
            "finding_key": key, "mechanism_key": mk, "stage": st, "organ": org, "therapy_key": tk,
            "mechanism_category": _mode(m.slots[1] for m in live), "therapy_class": _mode(m.slots[5] for m in live),
            "n_papers": score.n_papers, "n_evidence": score.n_evidence, "n_contradicting": score.n_contradicting,
            "n_accepted": score.n_accepted, "n_rejected": score.n_rejected, "n_unreviewed": score.n_unreviewed,
            "first_year": score.first_year, "last_year": score.last_year, "score": score.score,
            "year_bound": finding_years.bound(terms), "years_digest": finding_years.digest(terms),
        }  # fmt: skip
        found = self.existing.get(key)
        if found is None:
            self.inserts.append(
                ({**values, "score_detail": score.detail(self.weights), "updated_at": self.now}, members)
            )
            self.new_years[key] = (org, terms)
        else:
            fid, fingerprint = found
            if fingerprint != _fingerprint(values):
                self.updates.append(
                    {"_id": fid, **values, "score_detail": score.detail(self.weights), "updated_at": self.now}
                )
                self.years += finding_years.year_rows(fid, org, terms)
            self._link(fid, members)
        if len(self.inserts) + len(self.updates) >= _BATCH or len(self.years) >= 4 * _BATCH:
            self.flush()

    def _link(self, fid: int, members: Iterable[Member]) -> None:
        self.written.add(fid)
        for m in members:
            if m.finding_id != fid:
                self.link_evidence.append(m.inp.evidence_id)
                self.link_finding.append(fid)

    def flush(self) -> None:
        table = _FINDINGS
        if self.updates:
            self.conn.execute(table.update().where(table.c.id == bindparam("_id")), self.updates)
            self.changed += len(self.updates)
            self.updates = []
        if self.inserts:
            stmt = table.insert().returning(table.c.id, table.c.finding_key)
            ids = {k: i for i, k in self.conn.execute(stmt, [v for v, _ in self.inserts])}
            for values, members in self.inserts:
                self._link(ids[values["finding_key"]], members)
            for key, (organ, terms) in self.new_years.items():
                self.years += finding_years.year_rows(ids[key], organ, terms)
            self.changed += len(self.inserts)
            self.inserts, self.new_years = [], {}
        if self.years:
            finding_years.delete_rows(self.conn, {r["finding_id"] for r in self.years})
            finding_years.insert_rows(self.conn, self.years)
            self.years = []

    def finish(self, candidates: Iterable[int]) -> int:
        """Write links, unlink rows of withdrawn articles, delete candidates left without evidence."""
        self.flush()
        table = _EVIDENCE
        relink = table.update().where(table.c.id == bindparam("eid")).values(finding_id=bindparam("fid"))
        for i in range(0, len(self.link_evidence), 5000):
            chunk = zip(self.link_evidence[i : i + 5000], self.link_finding[i : i + 5000], strict=True)
            self.conn.execute(relink, [{"eid": e, "fid": f} for e, f in chunk])
        for where in chunked_in(table.c.id, self.unlink):
            self.conn.execute(table.update().where(where).values(finding_id=None))
        gone = sorted(set(candidates) - self.written)
        finding_years.delete_rows(self.conn, gone)
        for where in chunked_in(_FINDINGS.c.id, gone):
            self.conn.execute(delete(_FINDINGS).where(where))
        return self.changed + len(gone)


def _fingerprint(values: dict[str, Any]) -> int:
    return hash(tuple(values[k] for k in _COMPARED))


def _existing(conn: Connection, keys: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
    """finding key -> (id, fingerprint of the stored values)."""
    cols = [Finding.finding_key, Finding.id, *(getattr(Finding, c) for c in _COMPARED)]
    out: dict[str, tuple[int, int]] = {}
    wheres: Iterable[ColumnElement[bool] | None] = [None] if keys is None else chunked_in(Finding.finding_key, keys)
    for where in wheres:
        stmt = select(*cols).where(*([where] if where is not None else []))
        for row in conn.execute(stmt.execution_options(yield_per=5000)):
            out[row[0]] = (row[1], hash(tuple(row[2:])))
    return out


def _full(conn: Connection, weights: Weights, year: int) -> int:
    existing = _existing(conn)
    before = [fid for fid, _ in existing.values()]
    writer = _Writer(conn, existing, weights, year)
    writer.mesh = mesh_map(conn, None)
    moved, moved_ids = _moved(conn, writer.mesh)
    order = [func.coalesce(c, "") for c in (E.mechanism_key, E.stage, E.organ, E.therapy_key)]
    stmt = member_select().where(A.deleted == false()).order_by(*order, E.id)
    rows = conn.execute(stmt.execution_options(stream_results=True, yield_per=5000))
    members = (to_member(r, writer.mesh) for r in rows if r[0] not in moved_ids)
    for key, group in groupby(members, key=lambda km: km[0]):
        writer.put(key, [*(m for _, m in group), *moved.pop(key, [])])
    for key in sorted(moved):
        writer.put(key, moved[key])
    withdrawn = select(A.id).where(A.deleted.is_(True))
    table = _EVIDENCE
    conn.execute(
        table.update().where(table.c.finding_id.is_not(None), table.c.article_id.in_(withdrawn)).values(finding_id=None)
    )
    n = writer.finish(before)
    finding_years.mark_complete(conn, weights, year)
    if conn.dialect.name == "sqlite":  # fresh planner statistics for the new links (PostgreSQL autovacuums)
        conn.exec_driver_sql("ANALYZE findings")
        conn.exec_driver_sql("ANALYZE evidence")
        conn.exec_driver_sql("ANALYZE finding_years")
    return n


def _moved(conn: Connection, mesh: dict[int, frozenset[str]]) -> tuple[dict[str, list[Member]], set[int]]:
    """Evidence that reviewer corrections moved to another finding key, grouped by that key."""
    moved: dict[str, list[Member]] = {}
    for r in conn.execute(member_select().where(RD.evidence_key.is_not(None), A.deleted == false()).order_by(E.id)):
        key, member = to_member(r, mesh)
        if key != machine_key(r):
            moved.setdefault(key, []).append(member)
    return moved, {m.inp.evidence_id for group in moved.values() for m in group}


def stale_findings(conn: Connection) -> set[int]:
    """Findings whose stored evidence count differs from the rows linked to them (evidence was deleted)."""
    linked = conn.scalar(select(func.count()).select_from(E).where(E.finding_id.is_not(None))) or 0
    stored = conn.scalar(select(func.coalesce(func.sum(Finding.n_evidence), 0))) or 0
    if linked == stored:
        return set()
    sub = select(E.finding_id, func.count().label("n")).where(E.finding_id.is_not(None)).group_by(E.finding_id)
    counts = sub.subquery()
    stmt = select(Finding.id).outerjoin(counts, counts.c.finding_id == Finding.id)
    return set(conn.scalars(stmt.where(func.coalesce(counts.c.n, 0) != Finding.n_evidence)))


def _incremental(conn: Connection, article_ids: set[int], weights: Weights, year: int) -> int:
    """Recompute the findings touched by ``article_ids`` (and unlinked or stale rows), a few at a time.

    Relies on what the last refresh left: a row linked to finding F has F's key unless its
    article is in ``article_ids``. A row that breaks this turns the refresh into a full one.
    """
    touched = [r for where in chunked_in(E.article_id, article_ids) for r in member_rows(conn, where)]
    touched += [r for r in member_rows(conn, E.finding_id.is_(None)) if r[1] not in article_ids]
    mesh = mesh_map(conn, {r[1] for r in touched})
    by_key: dict[str, list[Member]] = {}
    writer = _Writer(conn, {}, weights, year)
    for r in touched:
        key, m = to_member(r, mesh)
        if m.deleted:
            if m.finding_id is not None:
                writer.unlink.append(m.inp.evidence_id)
        else:
            by_key.setdefault(key, []).append(m)
    candidates = {r[14] for r in touched if r[14]} | stale_findings(conn)
    keys = sorted(set(by_key) | set(_keys_of(conn, candidates)))
    writer.existing = _existing(conn, keys)
    candidates |= {fid for fid, _ in writer.existing.values()}
    skip = {r[0] for r in touched}
    for i in range(0, len(keys), 200):
        chunk = keys[i : i + 200]
        ids = [writer.existing[k][0] for k in chunk if k in writer.existing]
        linked = [r for where in chunked_in(E.finding_id, ids) for r in member_rows(conn, where)]
        mesh.update(mesh_map(conn, {r[1] for r in linked} - set(mesh)))
        groups: dict[str, list[Member]] = {}
        for r in linked:
            if r[0] not in skip:
                key, m = to_member(r, mesh)
                groups.setdefault(key, []).append(m)
        if not set(groups) <= set(chunk):
            logger.info("evidence is linked to a finding it no longer belongs to: refreshing every finding")
            return _full(conn, weights, year)
        for key in chunk:
            members = groups.get(key, []) + by_key.get(key, [])
            if members:
                writer.put(key, members)
    n = writer.finish(candidates)
    finding_years.keep_complete(conn, weights, year)
    return n


def _keys_of(conn: Connection, finding_ids: Iterable[int]) -> list[str]:
    out: list[str] = []
    for where in chunked_in(Finding.id, finding_ids):
        out += conn.scalars(select(Finding.finding_key).where(where))
    return out


def refresh_findings(
    session: Session,
    article_ids: Iterable[int] | None = None,
    *,
    weights: Weights | None = None,
    reference_year: int | None = None,
) -> int:
    """Recompute findings; returns how many were inserted, changed or deleted.

    ``article_ids=None`` recomputes everything (streaming, flat memory). Otherwise only the
    findings that those articles' evidence belongs to, now or before this refresh, plus findings
    that lost evidence to a re-extraction. Runs in the session's transaction; the caller commits.
    """
    w = weights or load_weights()
    year = reference_year or date.today().year
    ids = None if article_ids is None else set(article_ids)
    conn = session.connection()
    _serialize(conn)
    if ids is not None and len(ids) > FULL_REFRESH_ABOVE:
        logger.info("%d articles changed: refreshing every finding", len(ids))
        ids = None
    if ids is not None and reference_year is None and _year_changed(conn, year):
        logger.info("a new year began since the last ranking: refreshing every finding (recency)")
        ids = None
    session.flush()
    n = _full(conn, w, year) if ids is None else _incremental(conn, ids, w, year)
    session.expire_all()  # bulk statements bypassed the identity map
    logger.info("refreshed findings: %d written or deleted", n)
    return n


#: PostgreSQL advisory lock key held while findings are refreshed ("pdacmine-findings").
_REFRESH_LOCK = zlib.crc32(b"pdacmine-findings") & 0x7FFFFFFF


def _serialize(conn: Connection) -> None:
    """One findings refresh at a time, until the caller's transaction ends: two reviewers' imports that
    both create the same finding then update it in turn instead of both inserting it (IntegrityError).
    PostgreSQL: a transaction-scoped advisory lock; SQLite: take the write lock now (a write that changes
    nothing), so that what the refresh reads is what it writes over. Others wait (busy timeout)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REFRESH_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.execute(text("UPDATE findings SET id = id WHERE 0"))


def finding_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Finding)) or 0


def _year_changed(conn: Connection, year: int) -> bool:
    """True when some finding was scored against an earlier reference year (recency would be stale)."""
    oldest = conn.scalar(select(func.min(Finding.updated_at)))
    return oldest is not None and oldest.year < year
