"""The library API: one :class:`Workspace` (a database and the settings) with the jobs and queries.

The CLI and the web layer call it; so can a script::

    from pdacmine import Workspace

    ws = Workspace("sqlite:///pdac.db")
    ws.import_files(["pubmed26n0001.xml.gz"])
    ws.extract()
    for row in ws.query(organ="liver", limit=10):
        print(row["rank"], row["finding_key"], row["score"])

Every job that writes takes the database's writer lock (:class:`~pdacmine.errors.LockedError`
when another run holds it). Errors are the named ones of :mod:`pdacmine.errors`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from pdacmine.config import Settings, load_settings, mask_url
from pdacmine.db import harvest as harvest_db
from pdacmine.db import open_database
from pdacmine.db import query as q
from pdacmine.db.engine import session_scope
from pdacmine.db.exports import ARTICLE_COLUMNS, article_rows
from pdacmine.db.failures import KINDS as FAILURE_KINDS
from pdacmine.db.failures import FailedRecord, list_failures
from pdacmine.db.filters import Filters, resolve_filters
from pdacmine.db.lock import writer_lock
from pdacmine.errors import InputError
from pdacmine.jobs import harvest as harvesting
from pdacmine.jobs import importer
from pdacmine.jobs import update as updating
from pdacmine.jobs.harvest import Progress, RunSummary, client_from_settings
from pdacmine.jobs.importer import FileSummary
from pdacmine.jobs.sources import SourceSummary, import_source_files, label_xml_imports
from pdacmine.jobs.update import RankSummary, UpdateProgress, UpdateSummary
from pdacmine.miner.eutils import EutilsClient
from pdacmine.miner.export import ARTICLE_FORMATS, WRITERS, write_articles
from pdacmine.miner.sources import detect_format

if TYPE_CHECKING:
    from pdacmine.db.articles import StoreCounts
    from pdacmine.jobs.extract import ExtractSummary

#: Filter terms that take several values (a single string is one value).
MULTI_VALUED = ("organ", "stage", "mechanism", "therapy", "pmid", "study_type")
EXPORTS = ("findings", "evidence", "articles", "searches")
LOG_FORMATS = ("csv", "tsv", "json", "jsonl")
_DEFAULT_SORT = {"findings": "score", "evidence": "id", "articles": "pmid"}


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL (None for another database or an in-memory one)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def is_new_database(url: str) -> bool:
    """True when opening ``url`` will create it: an SQLite file that does not exist yet (or is empty)."""
    path = sqlite_file(url)
    return path is not None and (not path.exists() or path.stat().st_size == 0)


class Workspace:
    """A pdacmine database and the effective settings, with the jobs and queries that use them.

    ``db_url`` (default: the ``db`` setting: ``--db``, ``PDACMINE_DB``, the config file, then an
    SQLite file in the user's data directory). ``settings`` replaces the resolved settings;
    ``engine`` hands in an engine (or a function that opens one on first use) instead of
    opening ``settings.db``. The database is opened, and migrated, on first use.
    """

    def __init__(
        self,
        db_url: str | None = None,
        *,
        settings: Settings | None = None,
        engine: Engine | Callable[[], Engine] | None = None,
        **options: str | None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings({"db": db_url, **options})
        self._engine = engine if isinstance(engine, Engine) else None
        self._open = engine if callable(engine) and not isinstance(engine, Engine) else None
        #: True when this workspace created its database (a new SQLite file) on first use.
        self.created = False

    # --- the database ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where the database is: the SQLite file, or the URL with its password masked."""
        path = sqlite_file(self.settings.db)
        return str(path) if path is not None else mask_url(self.settings.db)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            new = is_new_database(self.settings.db)
            self._engine = self._open() if self._open is not None else open_database(self.settings.db)
            self.created = new
        return self._engine

    def open(self) -> Workspace:
        """Open the database now instead of at the first job (creating and migrating it if needed)."""
        _ = self.engine
        return self

    def close(self) -> None:
        """Release the database connections this workspace opened itself."""
        if self._engine is not None and self._open is None:
            self._engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the jobs ----------------------------------------------------------------------------

    def harvest(
        self,
        queries: Sequence[str] | None = None,
        *,
        since: date | None = None,
        until: date | None = None,
        batch_size: int = 500,
        client: EutilsClient | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> list[RunSummary]:
        """Harvest PubMed for the saved queries (all, or ``queries``); one summary per search run."""
        active = client if client is not None else client_from_settings(self.settings)  # ConfigError first
        try:
            with writer_lock(self.engine):
                return harvesting.harvest(
                    self.engine,
                    self.settings,
                    query_names=list(queries or ()) or None,
                    since=since,
                    until=until,
                    batch_size=batch_size,
                    client=active,
                    on_progress=on_progress,
                )
        finally:
            if client is None:
                active.close()

    def import_files(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        fmt: str | None = None,
        database: str | None = None,
        search: str | None = None,
        batch_size: int = 2000,
        force: bool = False,
        on_progress: Callable[[str, StoreCounts], None] | None = None,
        on_file: Callable[[FileSummary | SourceSummary], None] | None = None,
    ) -> list[FileSummary | SourceSummary]:
        """Import files, one summary per file: PubMed XML (baseline, update files, saved EFetch
        output), RIS, MEDLINE text, PubMed CSV, ASReview/Rayyan CSV (detected, or ``fmt``).

        PubMed XML files are applied first; ``database``/``search`` label every file's records
        (PRISMA counts per source and search); ``on_file`` is called as each file is done.
        """
        files = [Path(p) for p in paths]
        formats = [(p, fmt or (detect_format(p) if p.is_file() else "pubmed-xml")) for p in files]
        xml = [p for p, f in formats if f == "pubmed-xml"]
        others = [(p, f) for p, f in formats if f != "pubmed-xml"]
        done: list[FileSummary | SourceSummary] = []
        with writer_lock(self.engine):
            summaries = importer.import_files(
                self.engine, xml, batch_size=batch_size, force=force, on_progress=on_progress
            )
            label_xml_imports(self.engine, [s.sha256 for s in summaries if not s.skipped], database, search)
            for summary in summaries:
                done.append(summary)
                if on_file is not None:
                    on_file(summary)
            for source in import_source_files(self.engine, others, database=database, search=search, force=force):
                done.append(source)
                if on_file is not None:
                    on_file(source)
        return done

    def extract(
        self,
        *,
        everything: bool = False,
        workers: int = 1,
        batch_size: int = 64,
        model: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> ExtractSummary:
        """Extract evidence from new and changed articles (``everything``: from all of them)."""
        from pdacmine.jobs import extract as extraction  # spaCy loads only when needed

        with writer_lock(self.engine):
            return extraction.extract_pending(
                self.engine,
                all_=everything,
                workers=workers,
                batch_size=batch_size,
                model=model,
                on_progress=on_progress,
            )

    def rank(self) -> RankSummary:
        """Recompute every finding's score from its evidence."""
        with writer_lock(self.engine):
            return updating.rank_all(self.engine)

    def update(
        self,
        *,
        harvest: bool = True,
        queries: Sequence[str] | None = None,
        workers: int = 1,
        model: str | None = None,
        progress: UpdateProgress | None = None,
        raise_harvest_error: bool = True,
    ) -> UpdateSummary:
        """The main job: harvest, extract, rank under one lock (see :func:`pdacmine.jobs.update.update`)."""
        return updating.update(
            self.engine,
            self.settings,
            harvest=harvest,
            query_names=queries,
            workers=workers,
            model=model,
            progress=progress,
            raise_harvest_error=raise_harvest_error,
        )

    # --- queries and exports -----------------------------------------------------------------

    def filters(self, **terms: Any) -> Filters:
        """Resolve filter terms as ``query`` takes them (``organ="pulmonary"`` -> lung); InputError if unknown."""
        values: dict[str, Any] = {k: (v,) if k in MULTI_VALUED and isinstance(v, str) else v for k, v in terms.items()}
        with Session(self.engine) as session:
            return resolve_filters(session, **values)

    def query(
        self,
        filters: Filters | None = None,
        *,
        evidence: bool = False,
        sort: str = "score",
        limit: int | None = None,
        offset: int = 0,
        top_pmids: bool = True,
        **terms: Any,
    ) -> Iterator[dict[str, Any]]:
        """Ranked findings (or, with ``evidence``, their sentences) as dicts, streamed.

        ``filters`` from :meth:`filters`, or the terms themselves (``organ="liver", since="2020"``).
        The rows come from one open connection, closed when the iteration ends. ``top_pmids=False``: a
        finding row may leave its best PMIDs out when listing them would cost more (a date filter).
        """
        f = filters if filters is not None else self.filters(**terms)
        if evidence:
            return self._stream(q.evidence_rows, f, sort=sort, limit=limit, offset=offset, linked_only=True)
        return self._stream(q.finding_rows, f, sort=sort, limit=limit, offset=offset, top_pmids=top_pmids)

    def count_findings(self, filters: Filters | None = None) -> int:
        with self.engine.connect() as conn:
            return q.count_findings(conn, filters or Filters())

    def export(
        self,
        what: str,
        out: TextIO,
        *,
        fmt: str = "csv",
        filters: Filters | None = None,
        sort: str | None = None,
        limit: int | None = None,
        **terms: Any,
    ) -> int:
        """Write ``findings``, ``evidence``, ``articles`` or ``searches`` (the search log) to ``out``;
        returns the number of rows written. Every format streams."""
        if what not in EXPORTS:
            raise InputError(f"cannot export {what!r}: choose one of {', '.join(EXPORTS)}")
        formats = ARTICLE_FORMATS if what == "articles" else LOG_FORMATS if what == "searches" else tuple(WRITERS)
        if fmt not in formats:
            raise InputError(f"{what} cannot be written as {fmt!r}: choose one of {', '.join(formats)}")
        if what == "searches":
            with session_scope(self.engine) as session:
                log = harvest_db.search_log_rows(session, list(reversed(harvest_db.list_runs(session))))
            return WRITERS[fmt](log, harvest_db.LOG_COLUMNS, out)
        f = filters if filters is not None else self.filters(**terms)
        order = sort or _DEFAULT_SORT[what]
        with self.engine.connect() as conn:
            if what == "findings":
                return WRITERS[fmt](q.finding_rows(conn, f, sort=order, limit=limit), q.FINDING_COLUMNS, out)
            if what == "evidence":
                rows = q.evidence_rows(conn, f, sort=order, limit=limit, spans_as_text=fmt in ("csv", "tsv"))
                return WRITERS[fmt](rows, q.EVIDENCE_COLUMNS, out)
            return write_articles(article_rows(conn, f, sort=order, limit=limit), ARTICLE_COLUMNS, fmt, out)

    def failures(self, *, since: date | None = None, kinds: Sequence[str] | None = None) -> list[FailedRecord]:
        """The records pdacmine failed on, newest first: ``harvest`` (an EFetch record that would not parse, a
        PMID NCBI never returned), ``import`` (a file's record that would not parse) and ``extract`` (an
        article the NLP pipeline failed on); ``since`` keeps those recorded on or after that day (UTC)."""
        chosen = tuple(kinds) if kinds else FAILURE_KINDS
        unknown = [k for k in chosen if k not in FAILURE_KINDS]
        if unknown:
            raise InputError(f"no failure kind {unknown[0]!r}: choose one of {', '.join(FAILURE_KINDS)}")
        with session_scope(self.engine) as session:
            return list_failures(session, since=since, kinds=chosen)

    def _stream(self, rows: Callable[..., Iterator[dict[str, Any]]], *args: Any, **kw: Any) -> Iterator[dict[str, Any]]:
        conn: Connection = self.engine.connect()
        try:
            yield from rows(conn, *args, **kw)
        finally:
            conn.close()
