"""Storing parsed PubMed records: bulk upsert by PMID with version precedence and deletions.

:func:`store_batch` is shared by ``pdacmine import`` and the E-utilities harvester. Per batch
it runs one SELECT for the batch's PMIDs (id, version, content digest, deleted flag), decides
in memory, then issues executemany INSERT / UPDATE statements with SQLAlchemy Core. Rules:

- a new PMID is inserted (``new``);
- a higher ``Version`` replaces the stored row, a lower one never does (``unchanged``);
- the same version with different content (e.g. new MeSH indexing) updates the row (``updated``);
  identical content is ``unchanged`` and leaves ``last_updated`` alone;
- ``DeleteCitation`` sets ``deleted=True`` on a stored row (``deleted``); the row is kept for the
  audit trail and a later re-appearance of the PMID un-deletes it;
- a :class:`BadRecord` goes to ``record_errors`` and is logged (``failed``).

It flushes but never commits: the caller owns the transaction.

Speed: each JSON column is serialised once, here; the same text feeds the content digest
(``articles.content_hash``) and is bound as text (cast to JSONB on PostgreSQL), so SQLAlchemy
does not serialise it a second time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    String,
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

from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord, ParsedItem
from pdacmine.models import Article, ImportedFile, RecordError
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

ARTICLES: Table = Article.__table__  # type: ignore[assignment]
ERRORS: Table = RecordError.__table__  # type: ignore[assignment]

_RECORD_FIELDS = [f.name for f in fields(ArticleRecord) if f.name not in ("pmid", "version")]
#: Content columns holding JSON documents (lists of authors, MeSH headings...).
JSON_FIELDS: tuple[str, ...] = tuple(n for n in _RECORD_FIELDS if isinstance(ARTICLES.c[n].type, JSON))
#: Plain content columns (text, numbers, the publication date, the retracted flag).
SCALAR_FIELDS: tuple[str, ...] = tuple(n for n in _RECORD_FIELDS if n not in JSON_FIELDS)
#: Maximum lengths of the bounded string columns (PostgreSQL rejects longer values).
_LIMITS: dict[str, int] = {
    n: length
    for n in SCALAR_FIELDS
    if isinstance(ARTICLES.c[n].type, String) and (length := getattr(ARTICLES.c[n].type, "length", 0))
}
_IN_CHUNK = 900  # PMIDs per IN (...): well under every backend's bound-parameter limit


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


@dataclass
class _State:
    """A PMID's row as it stands while the batch is applied (``row`` set = content to write)."""

    id: int | None
    version: int
    digest: str | None
    deleted: bool
    row: dict[str, Any] | None = None
    dirty: bool = False


def _row_and_digest(scalars: dict[str, Any], documents: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Bind parameters for the content columns (JSON pre-serialised) and their digest."""
    row = dict(scalars)
    parts = ["\x00" if (value := scalars[n]) is None else str(value) for n in SCALAR_FIELDS]
    for name in JSON_FIELDS:
        text = json.dumps(documents[name])
        row[f"j_{name}"] = text
        parts.append(text)
    return row, hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def record_row(record: ArticleRecord) -> tuple[dict[str, Any], str]:
    """(bind parameters, content digest) of a parsed record; long strings cut to their column."""
    scalars = {n: getattr(record, n) for n in SCALAR_FIELDS}
    for name, limit in _LIMITS.items():
        value = scalars[name]
        if isinstance(value, str) and len(value) > limit:
            logger.warning("PMID %s: %s longer than %d characters, cut", record.pmid, name, limit)
            scalars[name] = value[:limit]
    return _row_and_digest(scalars, {n: getattr(record, n) for n in JSON_FIELDS})


def _load_states(session: Session, pmids: Iterable[str]) -> dict[str, _State]:
    wanted = sorted(set(pmids))
    states: dict[str, _State] = {}
    no_digest: list[str] = []
    c = ARTICLES.c
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        stmt = select(c.id, c.pmid, c.version, c.content_hash, c.deleted).where(c.pmid.in_(chunk))
        for row in session.execute(stmt):
            states[row.pmid] = _State(row.id, row.version, row.content_hash, bool(row.deleted))
            if row.content_hash is None:
                no_digest.append(row.pmid)
    for start in range(0, len(no_digest), _IN_CHUNK):  # rows not written by store_batch
        chunk = no_digest[start : start + _IN_CHUNK]
        content = [c[n] for n in (*SCALAR_FIELDS, *JSON_FIELDS)]
        for row in session.execute(select(c.pmid, *content).where(c.pmid.in_(chunk))):
            values = row._mapping
            scalars = {n: values[n] for n in SCALAR_FIELDS}
            states[row.pmid].digest = _row_and_digest(scalars, {n: values[n] for n in JSON_FIELDS})[1]
    return states


def store_batch(
    session: Session,
    items: Sequence[ParsedItem],
    source: str,
    error_source: str,
    *,
    seen: set[str] | None = None,
) -> StoreCounts:
    """Apply parsed items in order; flush (never commit) and return what happened.

    ``source`` is stored on written articles (``"file"`` or ``"eutils"``); ``error_source``
    names the input in ``record_errors`` (a file name, ``"search run 12"``). When ``seen`` is
    given, the PMID of every article record in the batch (stored, updated or unchanged) is
    added to it, e.g. for the harvester's search hits.
    """
    counts = StoreCounts()
    states = _load_states(session, (i.pmid for i in items if not isinstance(i, BadRecord)))
    errors: list[dict[str, Any]] = []
    now = utcnow()
    for item in items:
        if isinstance(item, ArticleRecord):
            _apply_article(item, states, counts)
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


def _apply_article(record: ArticleRecord, states: dict[str, _State], counts: StoreCounts) -> None:
    row, digest = record_row(record)
    state = states.get(record.pmid)
    if state is None:
        states[record.pmid] = _State(None, record.version, digest, False, row, True)
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
    state.row, state.dirty = row, True
    counts.updated += 1


def _apply_delete(record: DeleteRecord, states: dict[str, _State], counts: StoreCounts) -> None:
    state = states.get(record.pmid)
    if state is None or state.deleted:
        return  # nothing stored (or already withdrawn): nothing to do
    state.deleted = state.dirty = True
    counts.deleted += 1


@cache
def _statements(dialect: str) -> tuple[Insert, Update, Update]:
    """INSERT, full UPDATE and flag UPDATE binding the JSON columns as pre-serialised text."""

    def as_json(name: str) -> Any:
        param = bindparam(f"j_{name}", type_=Text())
        return cast(param, JSONB) if dialect == "postgresql" else param

    documents = {name: as_json(name) for name in JSON_FIELDS}
    by_id = ARTICLES.c.id == bindparam("b_id")
    return (
        insert(ARTICLES).values(documents),
        update(ARTICLES).where(by_id).values(documents),
        update(ARTICLES).where(by_id),
    )


def _write(session: Session, states: dict[str, _State], source: str, now: datetime) -> None:
    inserts: list[dict[str, Any]] = []
    rewrites: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    for pmid, st in states.items():
        if not st.dirty:
            continue
        meta = {
            "version": st.version,
            "content_hash": st.digest,
            "deleted": st.deleted,
            "last_updated": now,
        }
        if st.id is None:
            assert st.row is not None
            inserts.append({**st.row, **meta, "pmid": pmid, "source": source, "first_seen": now})
        elif st.row is not None:
            rewrites.append({**st.row, **meta, "source": source, "b_id": st.id})
        else:
            flags.append({"deleted": st.deleted, "last_updated": now, "b_id": st.id})
    insert_stmt, rewrite_stmt, flag_stmt = _statements(session.get_bind().dialect.name)
    for stmt, params in (
        (insert_stmt, inserts),
        (rewrite_stmt, rewrites),
        (flag_stmt, flags),
    ):
        if params:
            session.execute(stmt, params)


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
