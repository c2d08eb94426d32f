"""Storing parsed PubMed records: bulk upsert by PMID with version precedence and deletions.

:func:`store_batch` is shared by ``pdacmine import`` and the E-utilities harvester. Per batch
it runs one SELECT for the batch's PMIDs (id, version, content digest, deleted flag), decides
in memory, then issues executemany INSERT / UPDATE statements. Rules:

- a new PMID is inserted (``new``);
- a higher ``Version`` replaces the stored row, a lower one never does (``unchanged``);
- the same version with different content (e.g. new MeSH indexing) updates the row (``updated``);
  identical content is ``unchanged`` and leaves ``last_updated`` alone;
- ``DeleteCitation`` sets ``deleted=True`` on a stored row (``deleted``); the row is kept for the
  audit trail and a later re-appearance of the PMID un-deletes it;
- a :class:`BadRecord` goes to ``record_errors`` and is logged (``failed``).

It flushes but never commits: the caller owns the transaction.

Speed (a baseline file is 30,000 records of ~12 kB): records arrive as compact rows of bind
values and a content digest (:mod:`pdacmine.db.article_rows`; JSON columns as text, cast to JSONB
on PostgreSQL). INSERT and UPDATE are compiled once per dialect and executed with plain tuples
through the DB-API ``executemany``; only the columns whose type needs it (dates, flags) go
through SQLAlchemy's bind processors, so no per-row SQLAlchemy work is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Table,
    Text,
    bindparam,
    cast,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update

from pdacmine.db.article_rows import (
    ARTICLES,
    JSON_FIELDS,
    SCALAR_FIELDS,
    ArticleRow,
    Content,
    StoreItem,
    article_row,
    content_and_digest,
)
from pdacmine.db.engine import chunked_in
from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord
from pdacmine.models import ImportedFile, RecordError
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

ERRORS: Table = RecordError.__table__  # type: ignore[assignment]


@dataclass
class StoreCounts:
    """What a batch (or a whole file / harvest run) did to the articles table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    def __add__(self, other: StoreCounts) -> StoreCounts:
        return StoreCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def records(self) -> int:
        """Records seen: articles, deletions and failures."""
        return self.new + self.updated + self.unchanged + self.deleted + self.failed

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.failed} failed"
        )


@dataclass(slots=True)
class _State:
    """A PMID's row as it stands while the batch is applied (``content`` set = content to write)."""

    id: int | None
    version: int
    digest: str | None
    deleted: bool
    content: Content | None = None
    dirty: bool = False


def _load_states(session: Session, pmids: Iterable[str]) -> dict[str, _State]:
    states: dict[str, _State] = {}
    no_digest: list[str] = []
    c = ARTICLES.c
    for where in chunked_in(c.pmid, pmids):
        stmt = select(c.id, c.pmid, c.version, c.content_hash, c.deleted).where(where)
        for row in session.execute(stmt):
            states[row.pmid] = _State(row.id, row.version, row.content_hash, bool(row.deleted))
            if row.content_hash is None:
                no_digest.append(row.pmid)
    for where in chunked_in(c.pmid, no_digest):  # rows not written by store_batch
        stmt = select(c.pmid, *(c[n] for n in SCALAR_FIELDS), *(c[n] for n in JSON_FIELDS)).where(where)
        for row in session.execute(stmt):
            values = tuple(row)[1:]
            split = len(SCALAR_FIELDS)
            states[row.pmid].digest = content_and_digest(values[:split], values[split:])[1]
    return states


def store_batch(
    session: Session,
    items: Sequence[StoreItem],
    source: str,
    error_source: str,
    *,
    seen: set[str] | None = None,
) -> StoreCounts:
    """Apply parsed items in order; flush (never commit) and return what happened.

    ``source`` is stored on written articles (``"file"`` or ``"eutils"``); ``error_source``
    names the input in ``record_errors`` (a file name, ``"search run 12"``). When ``seen`` is
    given, the PMID of every article record in the batch (stored, updated or unchanged) is
    added to it, e.g. for the harvester's search hits. Articles may come as parsed records or
    as rows made by :func:`to_row`.
    """
    counts = StoreCounts()
    states = _load_states(session, (i.pmid for i in items if not isinstance(i, BadRecord)))
    errors: list[dict[str, Any]] = []
    now = utcnow()
    for item in items:
        if isinstance(item, ArticleRecord | ArticleRow):
            _apply_article(item if isinstance(item, ArticleRow) else article_row(item), states, counts)
            if seen is not None:
                seen.add(item.pmid)
        elif isinstance(item, DeleteRecord):
            _apply_delete(item, states, counts)
        else:
            counts.failed += 1
            pmid = item.pmid or "(none)"
            logger.warning("%s: skipped record PMID %s: %s", error_source, pmid, item.reason)
            errors.append(
                {
                    "source": error_source,
                    "pmid": item.pmid,
                    "reason": item.reason,
                    "at": now,
                }
            )
    _write(session, states, source, now)
    if errors:
        session.execute(insert(ERRORS), errors)
    session.flush()
    return counts


def _apply_article(record: ArticleRow, states: dict[str, _State], counts: StoreCounts) -> None:
    content, digest = record.content, record.digest
    state = states.get(record.pmid)
    if state is None:
        states[record.pmid] = _State(None, record.version, digest, False, content, True)
        counts.new += 1
        return
    if record.version < state.version:
        logger.debug(
            "PMID %s: version %d older than stored %d",
            record.pmid,
            record.version,
            state.version,
        )
        counts.unchanged += 1
        return
    if record.version == state.version and digest == state.digest and not state.deleted:
        counts.unchanged += 1
        return
    state.version, state.digest, state.deleted = record.version, digest, False
    state.content, state.dirty = content, True
    counts.updated += 1


def _apply_delete(record: DeleteRecord, states: dict[str, _State], counts: StoreCounts) -> None:
    state = states.get(record.pmid)
    if state is None or state.deleted:
        return  # nothing stored (or already withdrawn): nothing to do
    state.deleted = state.dirty = True
    counts.deleted += 1


# ---------------------------------------------------------------- bulk statements

_CONTENT = (*SCALAR_FIELDS, *(f"j_{n}" for n in JSON_FIELDS))
#: Bind names, in the order of the value tuples handed to :meth:`_Bulk.run`.
_INSERT_BINDS = (*_CONTENT, "pmid", "version", "content_hash", "deleted", "source", "first_seen", "last_updated")
_REWRITE_BINDS = (*_CONTENT, "version", "content_hash", "deleted", "source", "last_updated", "b_id")


class _Bulk:
    """A statement compiled once per dialect and run with plain value tuples via the DB-API executemany.

    Value tuples list the bind parameters in ``names`` order; columns whose type has a bind
    processor for the dialect (dates, booleans) are converted here, everything else is passed
    through unchanged, the way SQLAlchemy would bind it.
    """

    def __init__(self, stmt: Insert | Update, names: Sequence[str], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names = tuple(names)
        processors = [compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        self.processors = [(i, _memoized(p)) for i, p in enumerate(processors) if p is not None]
        self.positional = compiled.positional
        order = compiled.positiontup if compiled.positional else None
        self.reorder: Callable[[Sequence[Any]], tuple[Any, ...]] | None = None
        if order is not None and tuple(order) != self.names:
            self.reorder = itemgetter(*(self.names.index(n) for n in order))

    def run(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.processors:
            rows = [self._process(row) for row in rows]
        params: list[Any]
        if self.positional:
            params = rows if self.reorder is None else [self.reorder(row) for row in rows]
        else:
            params = [dict(zip(self.names, row, strict=True)) for row in rows]
        connection.exec_driver_sql(self.sql, params)

    def _process(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i, processor in self.processors:
            if values[i] is not None:
                values[i] = processor(values[i])
        return tuple(values)


def _memoized(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``processor`` remembering its results: a batch binds the same few timestamps, dates and flags."""
    results: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        key = (value, getattr(value, "tzinfo", None))  # equal instants in other zones print differently
        try:
            return results[key]
        except KeyError:
            if len(results) > 4096:
                results.clear()
            result = results[key] = processor(value)
            return result

    return process


_compiled: dict[tuple[str, str, str], tuple[_Bulk, _Bulk, Update]] = {}


def _statements(dialect: Dialect) -> tuple[_Bulk, _Bulk, Update]:
    """INSERT and full UPDATE (bulk, JSON bound as pre-serialised text) and the deleted-flag UPDATE."""
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    if key not in _compiled:
        _compiled[key] = _build_statements(dialect)
    return _compiled[key]


def _build_statements(dialect: Dialect) -> tuple[_Bulk, _Bulk, Update]:

    def value(name: str) -> Any:
        if name.startswith("j_"):
            param = bindparam(name, type_=Text())
            return cast(param, JSONB) if dialect.name == "postgresql" else param
        return bindparam(name, type_=ARTICLES.c[name].type)

    by_id = ARTICLES.c.id == bindparam("b_id", type_=ARTICLES.c.id.type)
    columns = {n: n.removeprefix("j_") for n in _INSERT_BINDS}
    inserted = insert(ARTICLES).values({columns[n]: value(n) for n in _INSERT_BINDS})
    rewritten = update(ARTICLES).where(by_id).values({columns[n]: value(n) for n in _REWRITE_BINDS if n != "b_id"})
    return (
        _Bulk(inserted, _INSERT_BINDS, dialect),
        _Bulk(rewritten, _REWRITE_BINDS, dialect),
        update(ARTICLES).where(by_id),
    )


def _write(session: Session, states: dict[str, _State], source: str, now: datetime) -> None:
    inserts: list[tuple[Any, ...]] = []
    rewrites: list[tuple[Any, ...]] = []
    flags: list[dict[str, Any]] = []
    for pmid, st in states.items():
        if not st.dirty:
            continue
        if st.id is None:
            assert st.content is not None
            inserts.append((*st.content, pmid, st.version, st.digest, st.deleted, source, now, now))
        elif st.content is not None:
            rewrites.append((*st.content, st.version, st.digest, st.deleted, source, now, st.id))
        else:
            flags.append({"deleted": st.deleted, "last_updated": now, "b_id": st.id})
    connection = session.connection()
    insert_bulk, rewrite_bulk, flag_stmt = _statements(connection.dialect)
    insert_bulk.run(connection, inserts)
    rewrite_bulk.run(connection, rewrites)
    if flags:
        session.execute(flag_stmt, flags)


# ---------------------------------------------------------------- imported files


def imported_file(session: Session, sha256: str) -> ImportedFile | None:
    """The record of a fully applied file with this digest, if any."""
    return session.scalars(select(ImportedFile).where(ImportedFile.sha256 == sha256)).first()


def record_imported_file(session: Session, name: str, sha256: str, size: int, counts: StoreCounts) -> None:
    """Remember that a file was applied completely (a re-import with the same digest refreshes it)."""
    row = imported_file(session, sha256) or ImportedFile(sha256=sha256)
    row.name, row.size, row.finished_at = name, size, utcnow()
    row.records, row.new, row.updated = counts.records, counts.new, counts.updated
    row.deleted, row.failed = counts.deleted, counts.failed
    session.add(row)
    session.flush()
