"""Saved queries and the PRISMA-S search log: every query the harvester runs reads or writes here.

Functions take a :class:`~sqlalchemy.orm.Session` and flush; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from pdacmine.errors import InputError
from pdacmine.models import HarvestMiss, SavedQuery, SearchHit, SearchRun
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

RUN_STATUSES = ("running", "ok", "failed", "interrupted")
#: Counter columns of a run, in the order the search log shows them.
RUN_COUNTERS = ("hits", "fetched", "new", "updated", "unchanged", "deleted", "failed")
_RUN_COLUMNS = (
    "id", "query_name", "database", "platform", "query_sent", "query_translation", "datetype", "mindate",
    "maxdate", "run_kind", "status", "started_at", "finished_at", *RUN_COUNTERS, "error", "tool_version",
)  # fmt: skip
#: Columns of the search log (``pdacmine searches``, ``export searches``): the run's, then the PMIDs recorded.
LOG_COLUMNS = (*_RUN_COLUMNS, "pmids_recorded")
_HIT_CHUNK = 2000


# -- saved queries ------------------------------------------------------------------------------


def ensure_builtin_query(session: Session, name: str, term: str, note: str) -> SavedQuery:
    """Create the built-in query on first use; when a new pdacmine version ships a changed term,
    update it and reset its watermark so the next run re-reads everything under the new term."""
    query = session.scalar(select(SavedQuery).where(SavedQuery.name == name))
    if query is None:
        query = SavedQuery(name=name, term=term, note=note, builtin=True, overlap_days=7)
        session.add(query)
        session.flush()
        logger.info("created the built-in saved query %s", name)
    elif query.builtin and query.term != term:
        logger.warning("built-in query %s has a new term in this version; its next run re-reads all dates", name)
        query.term, query.note, query.watermark = term, note, None
        session.flush()
    return query


def add_query(
    session: Session, name: str, term: str, note: str | None = None, overlap_days: int = 7, replace: bool = False
) -> SavedQuery:
    """Save ``term`` under ``name``; with ``replace`` an existing user query gets the new term
    and a reset watermark (its next run re-reads all dates)."""
    if overlap_days < 0:
        raise InputError(f"overlap days must be 0 or more, not {overlap_days}")
    query = session.scalar(select(SavedQuery).where(SavedQuery.name == name))
    if query is not None:
        if query.builtin:
            raise InputError(f"{name} is the built-in query and cannot be changed; save yours under another name")
        if not replace:
            raise InputError(f"a saved query named {name} already exists; use --replace to change its term")
        query.term, query.watermark, query.overlap_days = term, None, overlap_days
        if note is not None:
            query.note = note
    else:
        query = SavedQuery(name=name, term=term, note=note, builtin=False, overlap_days=overlap_days)
        session.add(query)
    session.flush()
    return query


def list_queries(session: Session) -> list[SavedQuery]:
    return list(session.scalars(select(SavedQuery).order_by(SavedQuery.builtin.desc(), SavedQuery.name)))


def get_query(session: Session, name: str) -> SavedQuery:
    query = session.scalar(select(SavedQuery).where(SavedQuery.name == name))
    if query is None:
        known = ", ".join(q.name for q in list_queries(session)) or "none"
        raise InputError(f"no saved query named {name!r}; saved queries: {known} (see pdacmine queries list)")
    return query


def get_queries(session: Session, names: Sequence[str] | None) -> list[SavedQuery]:
    """The named queries in the order given (duplicates dropped), or all of them when ``names`` is empty."""
    if not names:
        return list_queries(session)
    return [get_query(session, name) for name in dict.fromkeys(names)]


def remove_query(session: Session, name: str) -> None:
    """Delete a user query; its search-log rows stay (PRISMA-S asks to keep them)."""
    query = get_query(session, name)
    if query.builtin:
        raise InputError(f"{name} is the built-in query and cannot be removed (harvest others with --query NAME)")
    session.delete(query)
    session.flush()


def advance_watermark(session: Session, query_id: int, day: date) -> None:
    """Move the query's watermark forward to ``day`` (never backward)."""
    query = session.get(SavedQuery, query_id)
    if query is not None and (query.watermark is None or day > query.watermark):
        query.watermark = day
        session.flush()


def next_mindate(query: SavedQuery) -> date | None:
    """First [crdt] day an update run must read: watermark minus the overlap, or None (read everything)."""
    if query.watermark is None:
        return None
    return query.watermark - timedelta(days=max(query.overlap_days, 0))


# -- PMIDs E-utilities never returns ---------------------------------------------------------------


class Miss(NamedTuple):
    """How many runs a PMID has stayed missing in, and whether an earlier run already gave it up."""

    runs: int
    given_up: bool


def count_misses(session: Session, query_id: int, run_id: int, pmids: Iterable[str]) -> dict[str, Miss]:
    """Count one more run (``run_id``, once) in which each of ``pmids`` stayed missing for the query; a PMID
    an earlier run gave up is not counted again."""
    wanted = sorted(set(pmids))
    rows = {m.pmid: m for m in session.scalars(select(HarvestMiss).where(HarvestMiss.query_id == query_id))}
    for pmid in wanted:
        miss = rows.get(pmid)
        if miss is None:
            rows[pmid] = HarvestMiss(query_id=query_id, pmid=pmid, runs=1, last_run_id=run_id)
            session.add(rows[pmid])
        elif miss.gave_up_run_id is None and miss.last_run_id != run_id:
            miss.runs, miss.last_run_id = miss.runs + 1, run_id
    session.flush()
    return {p: Miss(rows[p].runs, rows[p].gave_up_run_id not in (None, run_id)) for p in wanted}


def give_up_misses(session: Session, query_id: int, run_id: int, pmids: Iterable[str]) -> None:
    """Note that ``run_id`` recorded these PMIDs of the query as failed."""
    for chunk in _chunks(sorted(set(pmids))):
        session.execute(
            update(HarvestMiss)
            .where(HarvestMiss.query_id == query_id, HarvestMiss.pmid.in_(chunk))
            .values(gave_up_run_id=run_id)
        )


def clear_misses(session: Session, query_id: int, pmids: Iterable[str]) -> int:
    """Forget the misses of those of ``pmids`` the query has any for (their records are stored now)."""
    have = set(session.scalars(select(HarvestMiss.pmid).where(HarvestMiss.query_id == query_id)))
    gone = sorted(have.intersection(pmids))
    for chunk in _chunks(gone):
        session.execute(delete(HarvestMiss).where(HarvestMiss.query_id == query_id, HarvestMiss.pmid.in_(chunk)))
    return len(gone)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _HIT_CHUNK):
        yield items[start : start + _HIT_CHUNK]


# -- the search log -----------------------------------------------------------------------------


def start_run(session: Session, query: SavedQuery, **fields: Any) -> SearchRun:
    """Insert a ``running`` row for one run of ``query``; ``fields`` are SearchRun columns."""
    run = SearchRun(query_id=query.id, query_name=query.name, status="running", started_at=utcnow(), **fields)
    session.add(run)
    session.flush()
    return run


def update_run(session: Session, run_id: int, **fields: Any) -> None:
    session.execute(update(SearchRun).where(SearchRun.id == run_id).values(**fields))


def finish_run(session: Session, run_id: int, status: str, error: str | None = None, **fields: Any) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    update_run(session, run_id, status=status, error=error, finished_at=utcnow(), **fields)


def close_stale_runs(session: Session) -> int:
    """Mark rows still ``running`` as ``interrupted`` (their process was killed); call under the writer lock."""
    result = session.execute(
        update(SearchRun)
        .where(SearchRun.status == "running")
        .values(
            status="interrupted",
            finished_at=utcnow(),
            error="the run stopped without finishing (killed or crashed); its committed batches are kept",
        )
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        logger.warning("marked %d unfinished search run(s) as interrupted", count)
    return count


def record_hits(session: Session, run_id: int, pmids: Iterable[str]) -> int:
    """Store the PMIDs a run identified (ignores PMIDs already recorded for this run)."""
    wanted = set(pmids)
    if not wanted:
        return 0
    have = set(session.scalars(select(SearchHit.pmid).where(SearchHit.run_id == run_id)))
    rows = [{"run_id": run_id, "pmid": pmid} for pmid in sorted(wanted - have)]
    for start in range(0, len(rows), _HIT_CHUNK):
        session.execute(insert(SearchHit), rows[start : start + _HIT_CHUNK])
    return len(rows)


def run_hits(session: Session, run_id: int) -> list[str]:
    return list(session.scalars(select(SearchHit.pmid).where(SearchHit.run_id == run_id).order_by(SearchHit.pmid)))


def get_run(session: Session, run_id: int) -> SearchRun:
    run = session.get(SearchRun, run_id)
    if run is None:
        raise InputError(f"no search run {run_id} (see pdacmine searches)")
    return run


def list_runs(
    session: Session, query_name: str | None = None, status: str | None = None, limit: int | None = None
) -> list[SearchRun]:
    """Search runs, newest first."""
    stmt = select(SearchRun).order_by(SearchRun.started_at.desc(), SearchRun.id.desc())
    if query_name:
        stmt = stmt.where(SearchRun.query_name == query_name)
    if status:
        stmt = stmt.where(SearchRun.status == status)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def hit_counts(session: Session, run_ids: Sequence[int]) -> dict[int, int]:
    """PMIDs recorded per run (``search_hits``)."""
    if not run_ids:
        return {}
    stmt = select(SearchHit.run_id, func.count()).where(SearchHit.run_id.in_(list(run_ids))).group_by(SearchHit.run_id)
    return {run_id: int(n) for run_id, n in session.execute(stmt)}


def search_log_rows(session: Session, runs: Sequence[SearchRun]) -> list[dict[str, Any]]:
    """The search-log rows (:data:`LOG_COLUMNS`) of ``runs``, in their order; times in ISO 8601."""
    recorded = hit_counts(session, [r.id for r in runs])
    rows = []
    for run in runs:
        row = {c: getattr(run, c) for c in _RUN_COLUMNS}
        for c in ("started_at", "finished_at"):
            if row[c] is not None:
                row[c] = row[c].isoformat(timespec="seconds")
        rows.append({**row, "pmids_recorded": recorded.get(run.id, 0)})
    return rows


def last_runs(session: Session) -> dict[str, SearchRun]:
    """The newest run of each query name."""
    newest: dict[str, SearchRun] = {}
    for run in list_runs(session):
        newest.setdefault(run.query_name, run)
    return newest
