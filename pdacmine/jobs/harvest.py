"""Harvest PubMed for saved queries: ESearch on [crdt] windows, EFetch in batches, upsert, log.

For each saved query one run:

1. picks the window: ``--since``/``--until`` when given, else from the query's watermark minus its
   overlap (first run: from 1800/01/01) to today;
2. writes a ``running`` row to the search log (the query exactly as sent) and commits it;
3. runs ESearch with the history server; a window with more hits than PubMed lets one search return
   (9,999) is bisected by day until every part fits, so no record is silently lost;
4. fetches each part in batches from the history server, parses them (a truncated body is fetched
   again), upserts them by PMID and commits batch by batch with the run's counters; PMIDs the search
   identified that the answers left out (E-utilities under load sends short answers) are asked for
   by ID, and a part whose records still do not all come fails the run (exit 4), except that a PMID
   missing in ``harvest_give_up_runs`` runs of the query (default 3: NCBI index lag, a withdrawn
   record) is recorded as failed with the reason instead, like a record that does not parse;
5. after a part is committed complete, moves the watermark to the part's last day (parts run oldest first, so
   the watermark never passes an uncommitted day), and finally marks the run ``ok``.

A failure or Ctrl-C marks the run ``failed`` / ``interrupted`` with the (masked) error, keeps every
committed batch and leaves the watermark where the last committed part put it: the next run
finishes the job. Callers hold the writer lock (``pdacmine.db.lock.writer_lock``); this module
doesn't take it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from pdacmine import __version__
from pdacmine.config import Settings
from pdacmine.db import harvest as db
from pdacmine.db.articles import StoreCounts, store_batch
from pdacmine.db.engine import session_scope
from pdacmine.errors import InputError, NetworkError
from pdacmine.miner import eutils
from pdacmine.miner.eutils import EutilsClient, SearchResult
from pdacmine.miner.parse import iter_pubmed
from pdacmine.miner.pubmed_query import (
    DATE_FIELD,
    DEFAULT_QUERY_NAME,
    DEFAULT_QUERY_NOTE,
    EARLIEST,
    default_query_term,
    format_date,
    windowed_term,
)
from pdacmine.miner.records import BadRecord, ParsedItem, normalize_pmid
from pdacmine.models import SavedQuery

logger = logging.getLogger(__name__)

MAX_BATCH = 10000
#: Rounds of asking by ID for records that EFetch's answers left out, and PMIDs per such request.
REFETCH_ROUNDS = 3
ID_BATCH = 200


@dataclass(frozen=True)
class Progress:
    """Reported after each committed batch."""

    query_name: str
    fetched: int
    hits: int


@dataclass
class RunSummary:
    """What one run of one saved query did (mirrors its search-log row)."""

    run_id: int
    query_name: str
    status: str
    mindate: str
    maxdate: str
    hits: int = 0
    fetched: int = 0
    counts: StoreCounts = field(default_factory=StoreCounts)
    windows: int = 0
    query_translation: str | None = None
    error: str | None = None

    def line(self) -> str:
        c = self.counts
        return (
            f"{self.query_name}: {self.hits:,} hits {self.mindate}-{self.maxdate}, {self.fetched:,} fetched: "
            f"{c.new:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.deleted:,} deleted, "
            f"{c.failed:,} failed [search run {self.run_id}, {self.status}]"
        )


@dataclass(frozen=True)
class Window:
    """The [crdt] days a run reads, and whether finishing them may move the watermark."""

    mindate: date
    maxdate: date
    kind: str  # initial | update | backfill
    advances_watermark: bool


@dataclass(frozen=True)
class SearchPart:
    """One ESearch of a run: the whole window (``root``) or a part small enough to fetch (``leaf``)."""

    mindate: date
    maxdate: date
    result: SearchResult
    root: bool
    leaf: bool


def client_from_settings(settings: Settings) -> EutilsClient:
    """An E-utilities client for the effective settings (ConfigError without an NCBI e-mail)."""
    return EutilsClient(settings.eutils_url, settings.ncbi_email, api_key=settings.ncbi_api_key)


def ensure_default_query(engine: Engine) -> None:
    """Create the built-in ``pdac-metastasis`` query on first use (or refresh its term)."""
    with session_scope(engine) as session:
        db.ensure_builtin_query(session, DEFAULT_QUERY_NAME, default_query_term(), DEFAULT_QUERY_NOTE)


def plan_window(query: SavedQuery, since: date | None, until: date | None, today: date) -> Window:
    """The window of the next run of ``query`` (see the module docstring)."""
    maxdate = until or today
    if since is not None:
        mindate = since
        contiguous = query.watermark is not None and since <= query.watermark + timedelta(days=1)
        kind = "backfill"
    else:
        mindate = db.next_mindate(query) or EARLIEST
        contiguous = True
        kind = "update" if query.watermark is not None else "initial"
    if mindate > maxdate:
        raise InputError(f"the window starts after it ends: {format_date(mindate)} > {format_date(maxdate)}")
    return Window(mindate, maxdate, kind, contiguous)


def iter_search_parts(
    client: EutilsClient, term: str, mindate: date, maxdate: date, cap: int | None = None
) -> Iterator[SearchPart]:
    """ESearch ``term`` over the window; bisect by day while a part has more than ``cap`` hits.

    Yields the whole-window search first, then (if it was split) each search made, depth first and
    oldest first; parts with ``leaf=True`` fit under the cap and together cover the window exactly.
    Raises :class:`InputError` when a single day has more hits than the cap.
    """
    limit = eutils.SEARCH_CAP if cap is None else cap
    stack = [(mindate, maxdate)]
    first = True
    while stack:
        lo, hi = stack.pop()
        result = client.esearch(windowed_term(term, lo, hi), retmax=limit)
        leaf = result.count <= limit
        yield SearchPart(lo, hi, result, root=first, leaf=leaf)
        first = False
        if leaf:
            continue
        if lo == hi:
            raise InputError(
                f"{result.count:,} records were created in PubMed on {format_date(lo)} alone, more than one "
                f"search can return ({limit:,}); narrow the query"
            )
        mid = lo + (hi - lo) // 2
        logger.info("%s-%s: %d hits, splitting", format_date(lo), format_date(hi), result.count)
        stack.append((mid + timedelta(days=1), hi))
        stack.append((lo, mid))


def harvest(
    engine: Engine,
    settings: Settings,
    *,
    query_names: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    batch_size: int = 500,
    client: EutilsClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    today: date | None = None,
) -> list[RunSummary]:
    """Harvest every saved query (or ``query_names``) and return one summary per run.

    Stops at the first run that fails (its row says ``failed`` and why) and re-raises the error:
    :class:`NetworkError` when E-utilities keeps failing, :class:`InputError` for a bad window.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise InputError(f"batch size must be between 1 and {MAX_BATCH:,}, not {batch_size}")
    if since and until and since > until:
        raise InputError(f"--since {format_date(since)} is after --until {format_date(until)}")
    give_up = settings.harvest_give_up_runs
    own_client = client is None
    active = client if client is not None else client_from_settings(settings)
    try:
        ensure_default_query(engine)
        with session_scope(engine) as session:
            db.close_stale_runs(session)
            queries = db.get_queries(session, query_names)
        day = today or date.today()
        return [_run_query(engine, active, q, since, until, day, (batch_size, give_up), on_progress) for q in queries]
    finally:
        if own_client:
            active.close()


def _run_query(
    engine: Engine,
    client: EutilsClient,
    query: SavedQuery,
    since: date | None,
    until: date | None,
    today: date,
    sizes: tuple[int, int],
    on_progress: Callable[[Progress], None] | None,
) -> RunSummary:
    """One run of ``query``; ``sizes``: records per EFetch, and runs a missing PMID may fail before it is given up."""
    window = plan_window(query, since, until, today)
    with session_scope(engine) as session:
        run = db.start_run(
            session,
            query,
            query_sent=windowed_term(query.term, window.mindate, window.maxdate),
            datetype=DATE_FIELD,
            mindate=format_date(window.mindate),
            maxdate=format_date(window.maxdate),
            run_kind=window.kind,
            tool_version=f"pdacmine {__version__}",
        )
    summary = RunSummary(run.id, query.name, "running", format_date(window.mindate), format_date(window.maxdate))
    logger.info("search run %d: %s, %s %s-%s", run.id, query.name, window.kind, summary.mindate, summary.maxdate)
    try:
        for part in iter_search_parts(client, query.term, window.mindate, window.maxdate):
            _take_part(engine, client, query, window, part, summary, sizes, on_progress)
    except BaseException as exc:
        summary.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        summary.error = client.mask(str(exc) or type(exc).__name__)
        if summary.status == "interrupted":
            summary.error = "interrupted (Ctrl-C or a stop signal); committed batches are kept"
        _close_run(engine, run.id, summary.status, summary.error)
        raise
    summary.status = "ok"
    with session_scope(engine) as session:
        db.finish_run(session, run.id, "ok")
    return summary


def _take_part(
    engine: Engine,
    client: EutilsClient,
    query: SavedQuery,
    window: Window,
    part: SearchPart,
    summary: RunSummary,
    sizes: tuple[int, int],
    on_progress: Callable[[Progress], None] | None,
) -> None:
    batch_size, give_up = sizes
    result = part.result
    if part.root:
        summary.hits, summary.query_translation = result.count, result.query_translation
        with session_scope(engine) as session:
            db.update_run(session, summary.run_id, hits=result.count, query_translation=result.query_translation)
    if not part.leaf:
        return
    summary.windows += 1
    with session_scope(engine) as session:
        db.record_hits(session, summary.run_id, result.ids)
    if result.count and not (result.webenv and result.query_key):
        raise InputError("E-utilities returned no history-server key (WebEnv/QueryKey) for the search")
    accounted: set[str] = set()  # identified PMIDs stored, or recorded in record_errors with a reason
    for retstart in range(0, result.count, batch_size):
        retmax = min(batch_size, result.count - retstart)
        name = f"efetch of search run {summary.run_id} ({part.mindate}..{part.maxdate}, records {retstart + 1}-)"
        items = client.efetch(str(result.webenv), str(result.query_key), retstart, retmax, _parser(name))
        if len(items) < retmax:
            logger.info("%s: expected %d records, got %d", name, retmax, len(items))
        _store(engine, summary, items, accounted)
        if on_progress is not None:
            on_progress(Progress(query.name, summary.fetched, summary.hits))
    _fetch_missing(engine, client, part, summary, accounted, batch_size)
    _give_up(engine, query.id, part, summary, accounted, give_up)
    if window.advances_watermark:
        with session_scope(engine) as session:
            db.advance_watermark(session, query.id, part.maxdate)


def _store(
    engine: Engine, summary: RunSummary, items: list[ParsedItem], accounted: set[str], fetched: bool = True
) -> None:
    """Store one EFetch answer (or, not ``fetched``, records given up) and commit it with the run's counters;
    note the PMIDs it accounts for."""
    with session_scope(engine) as session:
        counts = store_batch(session, items, source="eutils", error_source=f"search run {summary.run_id}")
        summary.counts = summary.counts + counts
        summary.fetched += len(items) if fetched else 0
        db.update_run(session, summary.run_id, **_counters(summary))
    accounted.update(item.pmid for item in items if item.pmid)


def _fetch_missing(
    engine: Engine, client: EutilsClient, part: SearchPart, summary: RunSummary, accounted: set[str], batch_size: int
) -> None:
    """Ask by ID (:data:`REFETCH_ROUNDS` times) for the identified PMIDs that EFetch's answers left out.

    E-utilities under load answers an EFetch with fewer records than asked for; :func:`_give_up` decides
    about those that still do not come."""
    identified = dict.fromkeys(normalize_pmid(pmid) or pmid for pmid in part.result.ids)
    missing = [pmid for pmid in identified if pmid not in accounted]
    for attempt in range(1, REFETCH_ROUNDS + 1):
        if not missing:
            return
        logger.warning(
            "search run %d: %d identified record(s) missing from EFetch's answers for %s-%s; asking for them by ID "
            "(round %d of %d)", summary.run_id, len(missing), format_date(part.mindate), format_date(part.maxdate),
            attempt, REFETCH_ROUNDS,
        )  # fmt: skip
        size = min(batch_size, ID_BATCH)
        for start in range(0, len(missing), size):
            chunk = missing[start : start + size]
            name = f"efetch by ID of search run {summary.run_id} (PMIDs {chunk[0]}..{chunk[-1]})"
            _store(engine, summary, client.efetch_ids(chunk, _parser(name)), accounted)
        missing = [pmid for pmid in missing if pmid not in accounted]


def _give_up(
    engine: Engine, query_id: int, part: SearchPart, summary: RunSummary, accounted: set[str], give_up: int
) -> None:
    """Finish a part, or raise :class:`NetworkError` (exit 4) while identified PMIDs are still missing.

    A part counts as complete (and may move the watermark) only when every PMID its search identified is
    stored or recorded as failed with a reason. A PMID missing in ``give_up`` runs of the query (NCBI index
    lag, a withdrawn record) is recorded as failed ("NCBI returned no record ..."), once: later runs that
    re-read its day and still miss it pass it by. Until then the run fails and the next reads the window
    again; a PMID that is finally stored has its count forgotten.
    """
    identified = dict.fromkeys(normalize_pmid(pmid) or pmid for pmid in part.result.ids)
    missing = [pmid for pmid in identified if pmid not in accounted]
    stored = [pmid for pmid in identified if pmid in accounted]
    with session_scope(engine) as session:
        db.clear_misses(session, query_id, stored)
        misses = db.count_misses(session, query_id, summary.run_id, missing) if missing else {}
    earlier = [pmid for pmid in missing if misses[pmid].given_up]
    if earlier:
        logger.info(
            "search run %d: %d PMID(s) given up by an earlier run are still missing", summary.run_id, len(earlier)
        )
        accounted.update(earlier)
    due = [pmid for pmid in missing if not misses[pmid].given_up and misses[pmid].runs >= give_up]
    if due:
        bad: list[ParsedItem] = [
            BadRecord(pmid, f"NCBI returned no record for PMID {pmid} in {misses[pmid].runs} runs") for pmid in due
        ]
        _store(engine, summary, bad, accounted, fetched=False)
        with session_scope(engine) as session:
            db.give_up_misses(session, query_id, summary.run_id, due)
    pending = [pmid for pmid in missing if pmid not in accounted]
    if pending:
        shown = ", ".join(pending[:5]) + (", ..." if len(pending) > 5 else "")
        left = give_up - max(misses[pmid].runs for pmid in pending)
        raise NetworkError(
            f"E-utilities did not return {len(pending):,} of the {len(part.result.ids):,} records identified for "
            f"{format_date(part.mindate)}-{format_date(part.maxdate)} even when asked by ID (PMIDs {shown}); "
            "the window is not marked complete: run harvest again to finish it (a PMID still missing after "
            f"{left} more run(s) is recorded as failed and the window completed)"
        )


def _close_run(engine: Engine, run_id: int, status: str, error: str | None) -> None:
    """Record how a run ended; a database that fails here must not hide the original error."""
    try:
        with session_scope(engine) as session:
            db.finish_run(session, run_id, status, error)
    except SQLAlchemyError as exc:
        logger.error("could not mark search run %d as %s: %s", run_id, status, exc)


def _parser(name: str) -> Callable[[bytes], list[ParsedItem]]:
    def parse(body: bytes) -> list[ParsedItem]:
        return list(iter_pubmed(body, name))

    return parse


def _counters(summary: RunSummary) -> dict[str, int]:
    return {"fetched": summary.fetched, **asdict(summary.counts)}
