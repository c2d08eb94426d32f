"""Apply PubMed XML files (baseline, update files, saved EFetch output) to the database.

Files are applied in the order given, except that PubMed's own distribution files
(``pubmed26n0001.xml.gz``...) are put in natural order among themselves, so a baseline is
applied before the update files that follow it and ``n0002`` before ``n0010``. Each file is
parsed as a stream and stored in batches, one transaction per batch: an interrupted or
failed import keeps every committed batch. A file is recorded as finished (by SHA-256) in the
same transaction as its last batch, and a finished file is skipped on the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pdacmine.db.article_rows import StoreItem, to_row
from pdacmine.db.articles import StoreCounts, imported_file, record_imported_file, store_batch
from pdacmine.db.engine import session_factory
from pdacmine.errors import InputError, ParseError
from pdacmine.miner.parse import iter_pubmed
from pdacmine.miner.records import ParsedItem

logger = logging.getLogger(__name__)

#: PubMed distribution file names: pubmed<yy>n<nnnn>.xml[.gz]
PUBMED_FILE = re.compile(r"^pubmed(\d+)n(\d+)\.xml(\.gz)?$", re.IGNORECASE)
SOURCE = "file"
#: Rows per store_batch call within a transaction (a transaction spans ``batch_size`` records).
WRITE_EVERY = 250


@dataclass
class FileSummary:
    """What importing one file did."""

    name: str
    sha256: str
    counts: StoreCounts = field(default_factory=StoreCounts)
    skipped: bool = False  # already imported earlier (same SHA-256)
    seconds: float = 0.0

    def line(self) -> str:
        if self.skipped:
            return f"{self.name}: already imported, skipped"
        return f"{self.name}: {self.counts.summary()}"


ProgressCallback = Callable[[str, StoreCounts], None]


def order_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The order files are applied in: as given, PubMed distribution files naturally sorted in their slots."""
    files = [Path(p) for p in paths]
    slots = [i for i, p in enumerate(files) if PUBMED_FILE.match(p.name)]
    ranked = sorted((files[i] for i in slots), key=_natural_key)
    for slot, path in zip(slots, ranked, strict=True):
        files[slot] = path
    return files


def _natural_key(path: Path) -> tuple[int, int, str]:
    match = PUBMED_FILE.match(path.name)
    assert match is not None
    return int(match.group(1)), int(match.group(2)), str(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def import_files(
    engine: Engine,
    paths: Sequence[str | os.PathLike[str]],
    *,
    batch_size: int = 2000,
    on_progress: ProgressCallback | None = None,
    force: bool = False,
) -> list[FileSummary]:
    """Import ``paths`` in order (see :func:`order_files`); returns one summary per file.

    ``force`` re-applies files already recorded as imported. Raises :class:`ParseError` for a
    malformed or truncated file after committing the records read before the fault; files
    before it stay imported. Takes no lock: the caller does (the CLI holds the writer lock).
    """
    files = order_files(paths)
    for path in files:  # fail before writing anything when an argument is not a readable file
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    make_session = session_factory(engine)
    summaries: list[FileSummary] = []
    for path in files:
        sha = file_sha256(path)
        with make_session() as session:
            done = imported_file(session, sha)
        if done is not None and not force:
            logger.info(
                "%s: already imported on %s as %s, skipped",
                path,
                done.finished_at,
                done.name,
            )
            summaries.append(FileSummary(str(path), sha, skipped=True))
            continue
        summaries.append(_import_one(make_session, path, sha, batch_size, on_progress))
    return summaries


def _import_one(
    make_session: Callable[[], Session],
    path: Path,
    sha: str,
    batch_size: int,
    on_progress: ProgressCallback | None,
) -> FileSummary:
    name = str(path)
    summary = FileSummary(name, sha)
    started = time.perf_counter()
    with make_session() as session:
        writer = _Writer(session, summary, batch_size, on_progress)
        try:
            for item in iter_pubmed(path, name):
                writer.add(item)
        except ParseError as exc:
            writer.commit()  # whole records read before the fault are kept; the file is not marked finished
            counts = summary.counts
            last = f"; the last one PMID {writer.last_pmid}" if writer.last_pmid else ""
            raise ParseError(
                exc.source,
                f"{exc.reason}; all {counts.records:,} records before it were applied ({counts.summary()}{last}), "
                "the file is not marked imported",
                exc.line,
            ) from exc
        writer.store()
        record_imported_file(session, name, sha, path.stat().st_size, summary.counts)
        session.commit()
    summary.seconds = time.perf_counter() - started
    logger.info("%s: %s in %.1f s", name, summary.counts.summary(), summary.seconds)
    return summary


class _Writer:
    """Stores a file's records in slices of :data:`WRITE_EVERY` and commits every ``batch_size`` records.

    Each record becomes its compact row (:func:`to_row`) as soon as it is parsed, and rows are
    written in small slices, so the Python objects alive at any time stay few and warm in cache;
    transactions still span ``batch_size`` records.
    """

    def __init__(
        self, session: Session, summary: FileSummary, batch_size: int, on_progress: ProgressCallback | None
    ) -> None:
        self.session, self.summary, self.on_progress = session, summary, on_progress
        self.batch_size, self.write_every = batch_size, min(batch_size, WRITE_EVERY)
        self.rows: list[StoreItem] = []
        self.uncommitted = 0
        self.last_pmid: str | None = None

    def add(self, item: ParsedItem) -> None:
        self.rows.append(to_row(item))
        self.last_pmid = item.pmid or self.last_pmid
        if len(self.rows) >= self.write_every:
            self.store()
            if self.uncommitted >= self.batch_size:
                self.commit()

    def store(self) -> None:
        """Write the rows held so far (in the open transaction)."""
        if self.rows:
            self.summary.counts += store_batch(self.session, self.rows, SOURCE, self.summary.name)
            self.uncommitted += len(self.rows)
            self.rows.clear()

    def commit(self) -> None:
        self.store()
        self.session.commit()
        self.uncommitted = 0
        if self.on_progress is not None:
            self.on_progress(self.summary.name, self.summary.counts)
