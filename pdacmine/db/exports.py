"""What ``export`` adds to ``query``: article rows (with their screening state) and the PRISMA counts.

:func:`article_rows` takes an open :class:`~sqlalchemy.Connection`, applies a
:class:`~pdacmine.db.filters.Filters`, and yields one plain dict per article, streamed like the
finding and evidence rows of :mod:`pdacmine.db.query`. :func:`prisma_counts` counts the records
at every PRISMA 2020 stage. Keep the connection open while iterating.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select, case, exists, false, func, select
from sqlalchemy.orm import Session

from pdacmine.db.conditions import apply_articles
from pdacmine.db.filters import Filters
from pdacmine.db.query import paginate, sort_by, stream
from pdacmine.db.screening import reviewers_required
from pdacmine.db.screening_outcomes import final_states, sessions
from pdacmine.db.sources import IdentifiedCount, identified_by_source, not_retrieved, unique_records
from pdacmine.miner.prisma import Identification, PrismaCounts
from pdacmine.miner.screening import CONFLICT, EXCLUDE, IN_PROGRESS, INCLUDE, MAYBE, UNSCREENED, Final
from pdacmine.miner.sources.records import record_key
from pdacmine.models import Article, ArticleExtraction, Evidence, ReviewDecision

logger = logging.getLogger(__name__)

E, A, RD = Evidence, Article, ReviewDecision
_kept = A.duplicate_of.is_(None)  # a record merged into another by deduplication counts once, as that one

ARTICLE_COLUMNS = (
    "pmid", "doi", "pmcid", "title", "abstract", "authors", "journal", "journal_iso", "issn", "volume", "issue",
    "pages", "year", "pub_date", "language", "publication_types", "mesh", "keywords", "retracted", "screening",
    "exclusion_reason", "n_evidence", "n_accepted", "n_rejected", "url",
)  # fmt: skip
ARTICLE_SORTS: dict[str, tuple[Any, ...]] = {
    "pmid": (A.id,),
    "year": (func.coalesce(A.pub_year, 0).desc(), A.id),
    "id": (A.id,),
}


# --- articles ------------------------------------------------------------------------------------


def _article_counts() -> Any:
    """Per article: evidence, accepted and rejected counts."""
    return (
        select(
            E.article_id.label("article_id"),
            func.count().label("n"),
            func.sum(case((RD.status == "accepted", 1), else_=0)).label("acc"),
            func.sum(case((RD.status == "rejected", 1), else_=0)).label("rej"),
        )
        .outerjoin(RD, RD.evidence_key == E.evidence_key)
        .group_by(E.article_id)
        .subquery()
    )


def _mesh_heading(h: dict[str, Any]) -> list[str]:
    quals = [q.get("name") for q in h.get("qualifiers") or () if q.get("name")]
    return [f"{h.get('name')}/{q}" for q in quals] if quals else [str(h.get("name"))]


def _author(a: dict[str, Any]) -> str:
    if a.get("collective"):
        return str(a["collective"])
    fore = a.get("fore") or a.get("initials") or ""
    return f"{a.get('last')}, {fore}".strip().rstrip(",")


def article_rows(
    conn: Connection, filters: Filters, *, sort: str = "pmid", limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Articles with their MeSH headings ("Liver Neoplasms/secondary"), authors ("Last, First") and their final
    record-level screening state (:data:`pdacmine.miner.screening.FINAL_STATES`) with its exclusion reason."""
    counts = _article_counts()
    stmt: Select[Any] = select(*A.__table__.c, counts.c.n, counts.c.acc, counts.c.rej).outerjoin(
        counts, counts.c.article_id == A.id
    )
    states = final_states(conn)
    stmt = paginate(sort_by(apply_articles(stmt, filters), ARTICLE_SORTS, sort, "articles"), limit, offset)
    for a in stream(conn, stmt):
        n, acc, rej = a.n or 0, a.acc or 0, a.rej or 0
        state = states.get(a.id) or Final(UNSCREENED)
        yield {
            "pmid": a.pmid, "doi": a.doi, "pmcid": a.pmcid, "title": a.title, "abstract": a.abstract,
            "authors": [_author(x) for x in a.authors or []], "journal": a.journal, "journal_iso": a.journal_iso,
            "issn": a.issn, "volume": a.volume, "issue": a.issue, "pages": a.pages, "year": a.pub_year,
            "pub_date": a.pub_date.isoformat() if a.pub_date else None, "language": a.language,
            "publication_types": [p.get("name") for p in a.publication_types or [] if isinstance(p, dict)],
            "mesh": [m for h in a.mesh or [] if isinstance(h, dict) for m in _mesh_heading(h)],
            "keywords": [str(k) for k in a.keywords or []], "retracted": bool(a.retracted),
            "screening": state.status, "exclusion_reason": state.reason,
            "n_evidence": n, "n_accepted": acc, "n_rejected": rej,
            "url": f"https://pubmed.ncbi.nlm.nih.gov/{a.pmid}/" if a.pmid else (a.doi and f"https://doi.org/{a.doi}"),
            "record": record_key(a.pmid, a.doi, a.id),  # not a column: Rayyan's key for records without a PMID
        }  # fmt: skip


# --- PRISMA --------------------------------------------------------------------------------------

DUPLICATES_REASON = (
    "The same record found by more than one search, file or database (exact PMID, DOI or PMCID matches), plus "
    "the records `pdacmine dedup` merged (normalised title + year + first author, confirmed or split by a person)"
)


def identification(conn: Connection) -> Identification:
    """Records identified per database and search (:func:`pdacmine.db.sources.identified_by_source`) and the
    distinct records among them: the one place that knows where records came from."""
    with Session(bind=conn) as session:
        counts = identified_by_source(session)
        unique = unique_records(session)
        missing = not_retrieved(session)
    withdrawn = conn.scalar(select(func.count()).select_from(A).where(A.deleted.is_(True), _kept)) or 0
    return Identification(
        sources=tuple((_source_label(c), c.records) for c in counts),
        identified_distinct=int(unique + withdrawn + missing),
        not_retrieved=int(missing),
        duplicates_reason=DUPLICATES_REASON,
    )


def _source_label(count: IdentifiedCount) -> str:
    return f"{count.database} search {count.search}" if count.kind == "search" else f"{count.database} {count.search}"


def prisma_counts(conn: Connection, *, automation_excludes: bool = False) -> PrismaCounts:
    """PRISMA 2020 flow counts: identification from :func:`identification`, screening from the people's
    record-level decisions; ``automation_excludes`` counts unscreened records without extracted evidence as
    excluded by automation."""
    states = final_states(conn)
    has_evidence = exists(select(E.id).where(E.article_id == A.id))
    extracted = exists(select(ArticleExtraction.article_id).where(ArticleExtraction.article_id == A.id))
    rows = conn.execute(select(A.id, extracted, has_evidence).where(A.deleted == false(), _kept))
    awaiting: Counter[str] = Counter({k: 0 for k in (UNSCREENED, IN_PROGRESS, MAYBE, CONFLICT)})
    reasons: Counter[str] = Counter()
    included = automatic = 0
    for aid, was_extracted, with_evidence in rows:
        state = states.get(aid) or Final(UNSCREENED)
        if state.status == INCLUDE:
            included += 1
        elif state.status == EXCLUDE:
            reasons[state.reason or "reason not recorded"] += 1
        elif state.status == UNSCREENED and automation_excludes and was_extracted and not with_evidence:
            automatic += 1
        else:
            awaiting[state.status] += 1
    screening_sessions = sessions(conn)
    return PrismaCounts(
        identification=identification(conn),
        withdrawn=int(conn.scalar(select(func.count()).select_from(A).where(A.deleted.is_(True), _kept)) or 0),
        excluded_automatic=automatic,
        automation_used=automation_excludes,
        included=included,
        excluded_reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        awaiting_by=dict(awaiting),
        orders=tuple(f"{desc} ({n} session(s))" for desc, n in Counter(s[4] for s in screening_sessions).items()),
        reviewers_required=reviewers_required(conn),
    )
