"""Import exports from other databases (RIS, MEDLINE text, PubMed CSV, ASReview/Rayyan CSV).

Each file is read completely first (a malformed file stops with a :class:`ParseError` naming
the file and line before anything of it is written) and then stored in one transaction, so a
file is either applied as a whole or not at all: records without a PMID have no key a re-run
could upsert on, and a half-applied file re-run would store them twice. Files before a bad
one stay committed. A finished file is remembered by SHA-256 and skipped next time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pdacmine.db.articles import imported_file
from pdacmine.db.engine import session_factory, session_scope
from pdacmine.db.sources import SourceCounts, SourceFile, label_imports, start_import, store_source_records
from pdacmine.errors import InputError
from pdacmine.jobs.importer import file_sha256
from pdacmine.miner.sources import ARTICLE_SOURCE, DEFAULT_DATABASE, read_records

logger = logging.getLogger(__name__)

FORMAT_LABELS = {
    "ris": "RIS",
    "medline": "MEDLINE text",
    "pubmed-csv": "PubMed CSV",
    "review-csv": "review CSV",
}


@dataclass
class SourceSummary:
    """What importing one export file did."""

    name: str
    format: str
    database: str
    counts: SourceCounts = field(default_factory=SourceCounts)
    skipped: bool = False
    seconds: float = 0.0

    def line(self) -> str:
        if self.skipped:
            return f"{self.name}: already imported, skipped"
        return f"{self.name} ({FORMAT_LABELS.get(self.format, self.format)}, {self.database}): {self.counts.summary()}"


def import_source_files(
    engine: Engine,
    files: Sequence[tuple[Path, str]],
    *,
    database: str | None = None,
    search: str | None = None,
    force: bool = False,
) -> list[SourceSummary]:
    """Import ``(path, format)`` pairs in order; one summary per file.

    ``database`` names the source database (Embase, Scopus...) when the file does not (an RIS
    ``DB`` tag does); ``search`` labels the search the export came from (PRISMA: identified
    per search). Takes no lock: the caller does.
    """
    for path, _ in files:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    return [_import_one(engine, path, fmt, database, search, force) for path, fmt in files]


def label_xml_imports(engine: Engine, sha256s: Sequence[str], database: str | None, search: str | None) -> None:
    """Give PubMed XML files just imported the ``--database``/``--search`` labels of the command."""
    with session_scope(engine) as session:
        label_imports(session, sha256s, database, search)


def _import_one(
    engine: Engine, path: Path, fmt: str, database: str | None, search: str | None, force: bool
) -> SourceSummary:
    started = time.perf_counter()
    name, sha = str(path), file_sha256(path)
    with session_scope(engine) as session:
        done = imported_file(session, sha)
    if done is not None and not force:
        logger.info("%s: already imported on %s as %s, skipped", name, done.finished_at, done.name)
        return SourceSummary(name, fmt, database or "", skipped=True)
    records = list(read_records(path, fmt, name))
    named = next((r.database for r in records if r.database), None)
    source = SourceFile(
        name=name,
        sha256=sha,
        size=path.stat().st_size,
        format=fmt,
        database=database or named or DEFAULT_DATABASE[fmt],
        search=search,
        article_source=ARTICLE_SOURCE[fmt],
    )
    with session_factory(engine)() as session:
        counts = store_source_records(session, records, source, start_import(session, source))
        session.commit()
    summary = SourceSummary(name, fmt, source.database, counts, seconds=time.perf_counter() - started)
    logger.info("%s in %.1f s", summary.line(), summary.seconds)
    return summary
