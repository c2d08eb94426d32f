"""Records from other databases' exports: storing them with their sources, and PRISMA counts per source.

:func:`store_source_records` writes a file's records in the caller's transaction: a record whose
PMID is already stored (from PubMed or an earlier file) is attached to that article (a new
``record_sources`` row; a missing DOI/PMCID is filled in) and never overwrites it; every other
record becomes a new article, with or without a PMID. Deduplication beyond the PMID is
``pdacmine dedup`` (:mod:`pdacmine.db.dedup`).

For the PRISMA flow: :func:`identified_by_source` (records identified per database and per
search or file), :func:`unique_records`, :func:`not_retrieved` and :func:`duplicates_removed`
(identified minus unique minus not retrieved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from pdacmine.db.engine import chunked_in
from pdacmine.miner.records import ArticleRecord
from pdacmine.miner.sources.records import SourceRecord
from pdacmine.models import Article, ImportedFile, RecordSource, SearchHit, SearchRun
from pdacmine.models.base import utcnow

ARTICLES: Table = Article.__table__  # type: ignore[assignment]
SOURCES: Table = RecordSource.__table__  # type: ignore[assignment]
_FIELDS = tuple(f.name for f in fields(ArticleRecord))


@dataclass
class SourceCounts:
    """What storing one file's records did."""

    records: int = 0
    new: int = 0
    matched: int = 0  # same PMID as a stored article: attached to it as one more source
    no_abstract: int = 0
    no_pmid: int = 0

    def summary(self) -> str:
        return (
            f"{self.records} records: {self.new} new, {self.matched} already stored (same PMID), "
            f"{self.no_abstract} without abstract, {self.no_pmid} without PMID"
        )


@dataclass(frozen=True)
class SourceFile:
    """Where a file's records come from."""

    name: str
    sha256: str
    size: int
    format: str
    database: str
    search: str | None
    article_source: str  # articles.source of new rows


def start_import(session: Session, source: SourceFile) -> ImportedFile:
    """The ``imported_files`` row of a file being applied (a forced re-import reuses it)."""
    row = session.scalar(select(ImportedFile).where(ImportedFile.sha256 == source.sha256))
    row = row or ImportedFile(sha256=source.sha256)
    row.name, row.size, row.format = source.name, source.size, source.format
    row.database, row.search, row.finished_at = source.database, source.search, utcnow()
    session.add(row)
    session.flush()
    return row


def store_source_records(
    session: Session, records: Sequence[SourceRecord], source: SourceFile, imported: ImportedFile
) -> SourceCounts:
    """Store ``records`` (see the module docstring) in bulk statements; flushes, never commits."""
    counts = SourceCounts(records=len(records))
    stored = _stored_by_pmid(session, [r.pmid for r in records if r.pmid])
    new_rows: list[dict[str, Any]] = []
    first_new: dict[str, int] = {}  # PMID -> index in new_rows (the same PMID twice in one file)
    target: list[tuple[str, int]] = []  # per record: ("stored", article id) or ("new", index)
    for record in records:
        counts.no_abstract += not record.article.abstract
        counts.no_pmid += record.pmid is None
        if record.pmid and record.pmid in stored:
            counts.matched += 1
            _fill_identifiers(session, stored[record.pmid], record)
            target.append(("stored", stored[record.pmid]))
        elif record.pmid and record.pmid in first_new:
            counts.matched += 1
            target.append(("new", first_new[record.pmid]))
        else:
            if record.pmid:
                first_new[record.pmid] = len(new_rows)
            target.append(("new", len(new_rows)))
            row = {name: getattr(record.article, name) for name in _FIELDS}
            new_rows.append({**row, "pmid": record.pmid, "source": source.article_source})
    counts.new = len(new_rows)
    ids: list[int] = []
    if new_rows:
        stmt = insert(ARTICLES).returning(ARTICLES.c.id, sort_by_parameter_order=True)  # Core: batched executemany
        ids = list(session.connection().execute(stmt, new_rows).scalars())
    rows = [
        _source_row(record, source, imported.id, ids[i] if kind == "new" else i)
        for record, (kind, i) in zip(records, target, strict=True)
    ]
    if rows:
        session.connection().execute(insert(SOURCES), rows)
    imported.records, imported.new, imported.updated = counts.records, counts.new, counts.matched
    session.flush()
    return counts


def _stored_by_pmid(session: Session, pmids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for where in chunked_in(Article.pmid, pmids):
        found.update({p: i for i, p in session.execute(select(Article.id, Article.pmid).where(where)) if p})
    return found


def _fill_identifiers(session: Session, article_id: int, record: SourceRecord) -> None:
    for column, value in ((Article.doi, record.article.doi), (Article.pmcid, record.article.pmcid)):
        if value:
            session.execute(
                update(Article).where(Article.id == article_id, column.is_(None)).values({column.key: value})
            )


def _source_row(record: SourceRecord, source: SourceFile, import_id: int, article_id: int) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "import_id": import_id,
        "database": (source.database or record.database or "")[:100],
        "format": source.format,
        "file": source.name,
        "search": source.search,
        "position": record.position,
        "line": record.line,
        "accession": (record.accession or None) and record.accession[:255],
        "pmid": record.pmid,
        "doi": record.article.doi,
        "pmcid": record.article.pmcid,
        "has_abstract": bool(record.article.abstract),
    }


def label_imports(session: Session, sha256s: Sequence[str], database: str | None, search: str | None) -> None:
    """Record the database and search label of imported PubMed XML files (``import --database/--search``)."""
    values = {k: v for k, v in (("database", database), ("search", search)) if v}
    if values and sha256s:
        session.execute(update(ImportedFile).where(ImportedFile.sha256.in_(list(sha256s))).values(values))


# -- PRISMA counts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentifiedCount:
    """Records one database delivered through one search (a harvest run's query, or a file)."""

    database: str
    search: str
    kind: str  # "search" (a harvest run) | "file" (an imported export)
    records: int


def identified_by_source(session: Session) -> list[IdentifiedCount]:
    """Records identified per database and per search, for PRISMA's identification boxes.

    Harvest runs count their search hits (per saved query, summed over its runs); imported
    exports count their records per (database, search label or file name); PubMed XML files
    count the citations they held (deletions and unreadable records left out).
    """
    out: dict[tuple[str, str, str], int] = {}
    runs = (  # a later run of the same search identifies no new record: distinct PMIDs per search
        select(SearchRun.database, SearchRun.query_name, func.count(func.distinct(SearchHit.pmid)))
        .join(SearchHit, SearchHit.run_id == SearchRun.id)
        .group_by(SearchRun.database, SearchRun.query_name)
    )
    for database, name, n in session.execute(runs):
        out[(database, name, "search")] = out.get((database, name, "search"), 0) + int(n)
    label = func.coalesce(RecordSource.search, RecordSource.file)
    files = select(RecordSource.database, label, func.count()).group_by(RecordSource.database, label)
    for database, name, n in session.execute(files):
        out[(database, name, "file")] = out.get((database, name, "file"), 0) + int(n)
    xml = select(
        func.coalesce(ImportedFile.database, "PubMed"),
        func.coalesce(ImportedFile.search, ImportedFile.name),
        ImportedFile.records - ImportedFile.deleted - ImportedFile.failed,
    ).where(ImportedFile.format == "pubmed-xml")
    for database, name, n in session.execute(xml):
        out[(database, name, "file")] = out.get((database, name, "file"), 0) + int(n or 0)
    return [IdentifiedCount(d, s, k, n) for (d, s, k), n in sorted(out.items())]


def unique_records(session: Session) -> int:
    """Distinct studies among the stored records: each deduplication group counts once (withdrawn ones left out)."""
    kept = func.coalesce(Article.duplicate_of, Article.id)
    return int(session.scalar(select(func.count(func.distinct(kept))).where(Article.deleted.is_(False))) or 0)


def not_retrieved(session: Session) -> int:
    """PMIDs a search identified that are not stored (the fetch failed or PubMed withdrew them)."""
    missing = ~select(Article.id).where(Article.pmid == SearchHit.pmid).exists()
    return int(session.scalar(select(func.count(func.distinct(SearchHit.pmid))).where(missing)) or 0)


def duplicates_removed(session: Session) -> int:
    """Records identified minus unique records minus search hits never retrieved: exact PMID matches
    between sources and ``pdacmine dedup`` merges."""
    identified = sum(c.records for c in identified_by_source(session))
    return max(0, identified - unique_records(session) - not_retrieved(session))
