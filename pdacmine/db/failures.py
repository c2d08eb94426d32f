"""Records pdacmine failed on, for ``pdacmine failures``: one row per failure, newest first.

Three kinds, from two tables:

- ``harvest``: ``record_errors`` rows written by a search run (``source`` is ``"search run <id>"``): an
  EFetch record that would not parse, or a PMID E-utilities never returned (given up after
  ``harvest_give_up_runs`` runs);
- ``import``: the other ``record_errors`` rows (``source`` is the imported file's name);
- ``extract``: ``article_extractions`` rows with an ``error`` (the NLP pipeline failed on the article).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdacmine.miner.sources.records import record_key
from pdacmine.models import Article, ArticleExtraction, RecordError

KINDS = ("harvest", "import", "extract")
COLUMNS = ("kind", "record", "source", "at", "reason")
#: ``record_errors.source`` of the rows a harvest run writes (jobs/harvest.py).
HARVEST_SOURCE = "search run "


@dataclass(frozen=True)
class FailedRecord:
    """One failure: ``record`` is the PMID (or ``doi:``/``record:`` key), empty when the record had none."""

    kind: str
    record: str
    source: str
    at: datetime
    reason: str

    def row(self) -> dict[str, Any]:
        return asdict(self)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def list_failures(session: Session, *, since: date | None = None, kinds: Iterable[str] = KINDS) -> list[FailedRecord]:
    """Failures of the given ``kinds`` recorded on or after the day ``since`` (UTC), newest first."""
    wanted = set(kinds)
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    found: list[FailedRecord] = []
    if wanted & {"harvest", "import"}:
        found.extend(_record_errors(session, start, wanted))
    if "extract" in wanted:
        found.extend(_extraction_errors(session, start))
    found.sort(key=lambda f: (f.at, f.kind, f.record), reverse=True)
    return found


def _record_errors(session: Session, start: datetime | None, wanted: set[str]) -> list[FailedRecord]:
    e = RecordError
    stmt = select(e.source, e.pmid, e.at, e.reason)
    if "import" not in wanted:
        stmt = stmt.where(e.source.startswith(HARVEST_SOURCE, autoescape=True))
    elif "harvest" not in wanted:
        stmt = stmt.where(~e.source.startswith(HARVEST_SOURCE, autoescape=True))
    if start is not None:
        stmt = stmt.where(e.at >= start)
    return [
        FailedRecord("harvest" if source.startswith(HARVEST_SOURCE) else "import", pmid or "", source, _utc(at), reason)
        for source, pmid, at, reason in session.execute(stmt.order_by(e.id))
    ]


def _extraction_errors(session: Session, start: datetime | None) -> list[FailedRecord]:
    x, a = ArticleExtraction, Article
    stmt = (
        select(a.id, a.pmid, a.doi, x.extractor_version, x.extracted_at, x.error)
        .join(a, a.id == x.article_id)
        .where(x.error.is_not(None))
    )
    if start is not None:
        stmt = stmt.where(x.extracted_at >= start)
    return [
        FailedRecord("extract", record_key(pmid, doi, aid), f"extractor {version}", _utc(at), error or "")
        for aid, pmid, doi, version, at, error in session.execute(stmt.order_by(x.article_id))
    ]
