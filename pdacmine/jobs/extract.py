"""The ``extract`` job: run the pipeline over pending stored articles and commit the evidence."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine

from pdacmine.db.engine import session_scope
from pdacmine.db.evidence import load_articles, pending_article_ids, save_extractions
from pdacmine.errors import ExtractionError
from pdacmine.miner.annotate import Item, annotate_items, in_batches
from pdacmine.miner.nlp.pipeline import extractor_version, get_pipeline
from pdacmine.miner.records import Annotated, Failure

logger = logging.getLogger(__name__)


ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: articles committed so far, articles pending at the start."""


@dataclass(frozen=True, slots=True)
class ExtractSummary:
    """What one ``extract`` run did."""

    pending: int
    articles: int
    evidence: int
    batches: int
    extractor_version: str
    seconds: float
    #: PMIDs the pipeline failed on (each marked failed with its reason; retried by the next extractor version).
    failed: tuple[str, ...] = ()

    def failure(self) -> ExtractionError | None:
        """The error to exit with when some articles failed (one line naming their PMIDs), else None."""
        if not self.failed:
            return None
        shown = ", ".join(self.failed[:10]) + (f" and {len(self.failed) - 10:,} more" if len(self.failed) > 10 else "")
        label = "PMID" if all(key.isdigit() for key in self.failed[:10]) else "record"  # doi:/record: keys
        return ExtractionError(
            list(self.failed),
            f"extraction failed for {len(self.failed):,} article(s): {label} {shown}; the others were extracted and "
            "ranked (the reasons are in article_extractions.error; they are retried after an upgrade)",
        )


def _pending_items(engine: Engine, ids: list[int], chunk: int, order: deque[int]) -> Iterator[Item]:
    """Article texts in ``chunk``-sized reads, each in its own short session; ids queued in ``order``."""
    for start in range(0, len(ids), chunk):
        with session_scope(engine) as session:
            articles = load_articles(session, ids[start : start + chunk])
        for a in articles:
            order.append(a.id)
            yield a.pmid, f"{a.title}\n{a.abstract}", a.publication_types or None


def _commit_batch(engine: Engine, batch: list[tuple[int, Annotated]], version: str) -> int:
    with session_scope(engine) as session:
        return save_extractions(session, batch, version)


def _refresh_after(engine: Engine, article_ids: list[int]) -> None:
    """Re-rank once per run, not per batch: each incremental refresh re-reads every finding it touches.

    The incremental refresh also picks up evidence left unlinked by an earlier interrupted run,
    so findings catch up even when nothing is pending.
    """
    from pdacmine.db.findings import refresh_findings

    with session_scope(engine) as session:
        refresh_findings(session, article_ids=article_ids)


def extract_pending(
    engine: Engine,
    *,
    all_: bool = False,
    workers: int = 1,
    batch_size: int = 64,
    model: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExtractSummary:
    """Extract evidence for every pending article (all non-deleted ones with ``all_``).

    Commits every ``batch_size`` articles: an interrupted run keeps every committed batch and
    the next run continues with the rest; findings are refreshed once at the end (and the next
    run links whatever an interrupted one left unranked). Takes no lock (the CLI holds the
    writer lock).
    """
    began = time.monotonic()
    get_pipeline(model)  # fail before reading anything when the model is missing
    version = current_extractor_version()
    with session_scope(engine) as session:
        ids = pending_article_ids(session, version, all_=all_)
    logger.info("%d article(s) to extract with %s", len(ids), version)
    order: deque[int] = deque()
    items = _pending_items(engine, ids, max(batch_size, 1) * 4, order)
    outputs = (
        (order.popleft(), out) for out in annotate_items(items, model=model, batch_size=batch_size, workers=workers)
    )
    done = evidence = batches = 0
    processed: list[int] = []
    failed: list[str] = []
    for batch in in_batches(outputs, max(1, batch_size)):
        for _, out in batch:
            if isinstance(out, Failure):
                logger.warning("PMID %s: extraction failed: %s", out.pmid, out.reason)
                failed.append(out.pmid)
        evidence += _commit_batch(engine, batch, version)
        processed += [article_id for article_id, _ in batch]
        done, batches = done + len(batch), batches + 1
        if on_progress:
            on_progress(done, len(ids))
    _refresh_after(engine, processed)
    seconds = round(time.monotonic() - began, 3)
    return ExtractSummary(len(ids), done, evidence, batches, version, seconds, tuple(failed))


def current_extractor_version() -> str:
    """EXTRACTOR_VERSION of this process: pdacmine version + vocabulary digest + rules digest."""
    return extractor_version()
