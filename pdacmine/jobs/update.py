"""The ``update`` job, what cron runs: take the writer lock, harvest, extract what is new, rank.

One lock for the whole job, so a second update (or any other writer) exits at once with
:class:`~pdacmine.errors.LockedError` instead of piling up. When E-utilities cannot be reached,
what was harvested before is still extracted and ranked, and the :class:`NetworkError` is raised
at the end. An interruption keeps everything committed; the next run continues.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from pdacmine.config import Settings
from pdacmine.db.engine import session_scope
from pdacmine.db.findings import finding_count, refresh_findings
from pdacmine.db.lock import writer_lock
from pdacmine.errors import NetworkError
from pdacmine.jobs import harvest as harvesting
from pdacmine.jobs.harvest import Progress, RunSummary

if TYPE_CHECKING:
    from pdacmine.jobs.extract import ExtractSummary

logger = logging.getLogger(__name__)

STEPS = ("harvest", "extract", "rank")


@dataclass(frozen=True)
class RankSummary:
    """What re-ranking every finding did."""

    findings: int
    changed: int
    seconds: float

    def line(self) -> str:
        many = f"{self.findings:,} finding{'' if self.findings == 1 else 's'}"
        if not self.changed:  # extraction and review keep findings current: usually nothing is left to do
            return f"{many}, all up to date, in {self.seconds:.1f} s"
        return f"{many} ({self.changed:,} new, changed or removed) in {self.seconds:.1f} s"


@dataclass
class UpdateSummary:
    """What one ``update`` did, step by step (``harvest_error`` when PubMed could not be reached)."""

    runs: list[RunSummary] = field(default_factory=list)
    extract: ExtractSummary | None = None
    rank: RankSummary | None = None
    harvest_error: NetworkError | None = None


@dataclass(frozen=True)
class UpdateProgress:
    """Callbacks an interface passes to follow an update; every one is optional.

    ``step(name)`` when a step starts ("harvest", "extract", "rank"); ``harvest`` and ``extract``
    as those jobs report progress; ``done(name, line)`` when a step ends, with its result line.
    """

    step: Callable[[str], None] | None = None
    harvest: Callable[[Progress], None] | None = None
    extract: Callable[[int, int], None] | None = None
    done: Callable[[str, str], None] | None = None


def extract_line(summary: ExtractSummary) -> str:
    return (
        f"{summary.articles:,} article(s), {summary.evidence:,} evidence sentence(s) "
        f"[{summary.extractor_version}] in {summary.seconds:.1f} s"
    )


def rank_all(engine: Engine) -> RankSummary:
    """Refresh every finding from its evidence (the caller holds the writer lock)."""
    began = time.monotonic()
    with session_scope(engine) as session:
        changed = refresh_findings(session)
        total = finding_count(session)
    return RankSummary(total, changed, round(time.monotonic() - began, 3))


def update(
    engine: Engine,
    settings: Settings,
    *,
    harvest: bool = True,
    query_names: Sequence[str] | None = None,
    workers: int = 1,
    model: str | None = None,
    progress: UpdateProgress | None = None,
    raise_harvest_error: bool = True,
) -> UpdateSummary:
    """Harvest every saved query (or ``query_names``), extract what is new, re-rank every finding.

    Raises :class:`LockedError` when another run holds the lock, :class:`ConfigError` (before
    anything runs) without an NCBI e-mail, the harvest's :class:`NetworkError` after the
    extraction and ranking of what is stored (``raise_harvest_error=False`` returns it in the
    summary instead), and :class:`ExtractionError` naming the articles the pipeline failed on
    (after the others were extracted and ranked).
    """
    from pdacmine.jobs import extract as extraction  # spaCy loads only when the job runs

    p = progress or UpdateProgress()
    summary = UpdateSummary()
    with writer_lock(engine):
        if harvest:
            _harvest(engine, settings, query_names, p, summary)
        _start(p, "extract")
        summary.extract = extraction.extract_pending(engine, workers=workers, model=model, on_progress=p.extract)
        _done(p, "extract", extract_line(summary.extract))
        _start(p, "rank")
        summary.rank = rank_all(engine)
        _done(p, "rank", summary.rank.line())
    if summary.harvest_error is not None and raise_harvest_error:
        raise summary.harvest_error
    failure = summary.extract.failure()
    if failure is not None:  # some articles failed in the pipeline: the others were extracted and ranked
        raise failure
    return summary


def _harvest(
    engine: Engine, settings: Settings, names: Sequence[str] | None, p: UpdateProgress, summary: UpdateSummary
) -> None:
    """Harvest; a network failure is kept in ``summary`` (the update goes on), anything else raises."""
    _start(p, "harvest")
    try:
        summary.runs = harvesting.harvest(
            engine, settings, query_names=list(names or ()) or None, on_progress=p.harvest
        )
    except NetworkError as exc:
        logger.warning("harvest failed; extracting and ranking what is stored (the error follows at the end)")
        summary.harvest_error = exc
        return
    for run in summary.runs:
        _done(p, "harvest", run.line())


def _start(p: UpdateProgress, step: str) -> None:
    if p.step is not None:
        p.step(step)


def _done(p: UpdateProgress, step: str, line: str) -> None:
    if p.done is not None:
        p.done(step, line)
