"""Storing parsed PubMed records: bulk upsert by PMID with version precedence and deletions.

:func:`store_batch` is shared by ``pdacmine import`` and the E-utilities harvester. Per batch
it runs one SELECT for the batch's PMIDs (id, version, content hash, deleted flag), decides
in memory, then issues executemany INSERT / UPDATE statements with SQLAlchemy Core. Rules:

- a new PMID is inserted (``new``);
- a higher ``Version`` replaces the stored row, a lower one never does (``unchanged``);
- the same version with different content (e.g. new MeSH indexing) updates the row (``updated``);
  identical content is ``unchanged`` and leaves ``last_updated`` alone;
- ``DeleteCitation`` sets ``deleted=True`` on a stored row (``deleted``); the row is kept for the
  audit trail and a later re-appearance of the PMID un-deletes it;
- a :class:`BadRecord` goes to ``record_errors`` and is logged (``failed``).

It flushes but never commits: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, insert, select, update
from sqlalchemy.orm import Session

from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord, ParsedItem
from pdacmine.models import Article, ImportedFile, RecordError
from pdacmine.models.base import utcnow

logger = logging.getLogger(__name__)

ARTICLES = Article.__table__
ERRORS = RecordError.__table__

#: Content fields: everything an ArticleRecord carries except the key and its version.
CONTENT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(ArticleRecord) if f.name not in ("pmid", "version")
)
#: Maximum lengths of the bounded string columns (PostgreSQL rejects longer values).
_LIMITS: dict[str, int] = {
    c.name: c.type.length
    for c in ARTICLES.columns
    if isinstance(c.type, String) and c.type.length and c.name in CONTENT_FIELDS
}
_IN_CHUNK = (
    900  # PMIDs per IN (...) clause, well under every backend's bound-parameter limit
)


@dataclass
class StoreCounts:
    """What a batch (or a whole file / harvest run) did to the articles table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    def __add__(self, other: StoreCounts) -> StoreCounts:
        return StoreCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

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


def content_of(record: ArticleRecord) -> dict[str, Any]:
    """The record's content columns, fitted to the column lengths."""
    row = {name: getattr(record, name) for name in CONTENT_FIELDS}
    for name, limit in _LIMITS.items():
        value = row[name]
        if isinstance(value, str) and len(value) > limit:
            logger.warning(
                "PMID %s: %s longer than %d characters, cut", record.pmid, name, limit
            )
            row[name] = value[:limit]
    return row


def content_digest(content: dict[str, Any]) -> str:
    """Stable digest of content columns (key order and JSON/JSONB round trips do not matter)."""
    payload = json.dumps(
        content, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
    )
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def _load_states(session: Session, pmids: Iterable[str]) -> dict[str, _State]:
    wanted = sorted(set(pmids))
    states: dict[str, _State] = {}
    missing_digest: list[str] = []
    cols = (
        ARTICLES.c.id,
        ARTICLES.c.pmid,
        ARTICLES.c.version,
        ARTICLES.c.content_hash,
        ARTICLES.c.deleted,
    )
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for row in session.execute(select(*cols).where(ARTICLES.c.pmid.in_(chunk))):
            states[row.pmid] = _State(
                row.id, row.version, row.content_hash, bool(row.deleted)
            )
            if row.content_hash is None:
                missing_digest.append(row.pmid)
    if (
        missing_digest
    ):  # rows written by something other than store_batch: digest them once
        content_cols = [ARTICLES.c[name] for name in CONTENT_FIELDS]
        for start in range(0, len(missing_digest), _IN_CHUNK):
            chunk = missing_digest[start : start + _IN_CHUNK]
            stmt = select(ARTICLES.c.pmid, *content_cols).where(
                ARTICLES.c.pmid.in_(chunk)
            )
            for row in session.execute(stmt):
                mapping = row._mapping
                states[row.pmid].digest = content_digest(
                    {name: mapping[name] for name in CONTENT_FIELDS}
                )
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
    states = _load_states(
        session, (i.pmid for i in items if not isinstance(i, BadRecord))
    )
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
            logger.warning(
                "%s: skipped record PMID %s: %s",
                error_source,
                item.pmid or "(none)",
                item.reason,
            )
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


def _apply_article(
    record: ArticleRecord, states: dict[str, _State], counts: StoreCounts
) -> None:
    content = content_of(record)
    digest = content_digest(content)
    state = states.get(record.pmid)
    if state is None:
        states[record.pmid] = _State(None, record.version, digest, False, content, True)
        counts.new += 1
        return
    if record.version < state.version:
        logger.debug(
            "PMID %s: version %d is older than stored %d, kept",
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
    state.row, state.dirty = content, True
    counts.updated += 1


def _apply_delete(
    record: DeleteRecord, states: dict[str, _State], counts: StoreCounts
) -> None:
    state = states.get(record.pmid)
    if state is None or state.deleted:
        return  # nothing stored (or already withdrawn): nothing to do
    state.deleted = state.dirty = True
    counts.deleted += 1


def _write(
    session: Session, states: dict[str, _State], source: str, now: datetime
) -> None:
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
            inserts.append(
                {**st.row, **meta, "pmid": pmid, "source": source, "first_seen": now}
            )
        elif st.row is not None:
            rewrites.append({**st.row, **meta, "source": source, "b_id": st.id})
        else:
            flags.append({"deleted": st.deleted, "last_updated": now, "b_id": st.id})
    if inserts:
        session.execute(insert(ARTICLES), inserts)
    if rewrites:
        session.execute(
            update(ARTICLES).where(ARTICLES.c.id == bindparam("b_id")), rewrites
        )
    if flags:
        session.execute(
            update(ARTICLES).where(ARTICLES.c.id == bindparam("b_id")), flags
        )


# ---------------------------------------------------------------- imported files


def imported_file(session: Session, sha256: str) -> ImportedFile | None:
    """The record of a fully applied file with this digest, if any."""
    return session.scalars(
        select(ImportedFile).where(ImportedFile.sha256 == sha256)
    ).first()


def record_imported_file(
    session: Session, name: str, sha256: str, size: int, counts: StoreCounts
) -> None:
    """Remember that a file was applied completely (a re-import with the same digest refreshes it)."""
    row = imported_file(session, sha256) or ImportedFile(sha256=sha256)
    row.name, row.size, row.finished_at = name, size, utcnow()
    row.records, row.new, row.updated = counts.records, counts.new, counts.updated
    row.deleted, row.failed = counts.deleted, counts.failed
    session.add(row)
    session.flush()
