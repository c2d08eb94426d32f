"""Streaming selects behind ``query`` and ``export``: findings, evidence, articles, and the PRISMA counts.

Every ``*_rows`` function takes an open :class:`~sqlalchemy.Connection`, applies a
:class:`~pdacmine.db.filters.Filters`, and yields one plain dict per row, fetching
``yield_per`` rows at a time (a server-side cursor on PostgreSQL) so memory stays flat
however many rows there are. Keep the connection open while iterating.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, Text, case, cast, exists, false, func, select
from sqlalchemy.orm import Session

from pdacmine.db.filtered_findings import filtered_finding_rows, restricts_evidence
from pdacmine.db.filters import Filters, apply_articles, apply_evidence, apply_findings, evidence_from
from pdacmine.db.screening import final_states, reviewers_required, sessions
from pdacmine.db.sources import IdentifiedCount, identified_by_source, not_retrieved, unique_records
from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import default_vocabulary
from pdacmine.miner.prisma import Identification, PrismaCounts
from pdacmine.miner.rank import ORGAN_MESH
from pdacmine.miner.screening import CONFLICT, EXCLUDE, IN_PROGRESS, INCLUDE, MAYBE, UNSCREENED, Final
from pdacmine.miner.sources.records import record_key
from pdacmine.models import Article, ArticleExtraction, Evidence, Finding, ReviewDecision

logger = logging.getLogger(__name__)

YIELD_PER = 1000
F, E, A, RD = Finding, Evidence, Article, ReviewDecision
_kept = A.duplicate_of.is_(None)  # a record merged into another by deduplication counts once, as that one

FINDING_COLUMNS = (
    "rank", "finding_id", "finding_key", "mechanism", "mechanism_category", "stage", "organ", "therapy",
    "therapy_class", "direction", "score", "n_papers", "n_contradicting", "n_evidence", "n_accepted",
    "n_rejected", "n_unreviewed", "first_year", "last_year", "top_pmids",
)  # fmt: skip
EVIDENCE_COLUMNS = (
    "pmid", "doi", "year", "journal", "title", "study_design", "metastatic_site", "metastatic_site_uberon",
    "metastatic_site_mesh", "cascade_stage", "mechanism", "mechanism_category", "mechanism_id", "therapy",
    "therapy_class", "therapy_id", "effect_direction", "negated", "hedged", "confidence", "evidence_sentence",
    "section", "char_start", "char_end", "finding_key", "finding_score", "review_status", "reviewer",
    "decided_at", "review_note", "corrected", "extractor_version", "evidence_key", "spans",
)  # fmt: skip
ARTICLE_COLUMNS = (
    "pmid", "doi", "pmcid", "title", "abstract", "authors", "journal", "journal_iso", "issn", "volume", "issue",
    "pages", "year", "pub_date", "language", "publication_types", "mesh", "keywords", "retracted", "screening",
    "exclusion_reason", "n_evidence", "n_accepted", "n_rejected", "url",
)  # fmt: skip
FINDING_SORTS: dict[str, tuple[Any, ...]] = {
    "score": (F.score.desc(), F.n_papers.desc(), F.id),
    "papers": (F.n_papers.desc(), F.score.desc(), F.id),
    "evidence": (F.n_evidence.desc(), F.score.desc(), F.id),
    "year": (func.coalesce(F.last_year, 0).desc(), F.score.desc(), F.id),
    "contradicting": (F.n_contradicting.desc(), F.score.desc(), F.id),
    "key": (F.finding_key,),
}
EVIDENCE_SORTS: dict[str, tuple[Any, ...]] = {
    "score": (F.score.desc(), F.id, A.pub_year.desc(), E.id),
    "year": (func.coalesce(A.pub_year, 0).desc(), E.id),
    "pmid": (E.pmid, E.id),
    "confidence": (E.confidence.desc(), E.id),
    "id": (E.id,),
}
ARTICLE_SORTS: dict[str, tuple[Any, ...]] = {
    "pmid": (A.id,),
    "year": (func.coalesce(A.pub_year, 0).desc(), A.id),
    "id": (A.id,),
}


def _sorted(stmt: Select[Any], sorts: dict[str, tuple[Any, ...]], sort: str, level: str) -> Select[Any]:
    if sort not in sorts:
        raise InputError(f"cannot sort {level} by {sort!r}; use one of {', '.join(sorts)}")
    return stmt.order_by(*sorts[sort])


def _page(stmt: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    if offset < 0 or (limit is not None and limit < 0):
        raise InputError("--limit and --offset must be 0 or more")
    return stmt.limit(limit).offset(offset or None)


def _stream(conn: Connection, stmt: Select[Any]) -> Any:
    return conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(stmt)


# --- findings ------------------------------------------------------------------------------------


def count_findings(conn: Connection, filters: Filters) -> int:
    return conn.scalar(apply_findings(select(func.count()).select_from(F), filters)) or 0


def finding_rows(
    conn: Connection, filters: Filters, *, sort: str = "score", limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    if restricts_evidence(filters):  # counts and scores over the filtered evidence only
        yield from filtered_finding_rows(conn, filters, sort=sort, limit=limit, offset=offset)
        return
    cols = (F.id, F.finding_key, F.mechanism_key, F.mechanism_category, F.stage, F.organ, F.therapy_key,
            F.therapy_class, F.score_detail, F.score, F.n_papers, F.n_contradicting, F.n_evidence, F.n_accepted,
            F.n_rejected, F.n_unreviewed, F.first_year, F.last_year)  # fmt: skip
    stmt = _page(_sorted(apply_findings(select(*cols), filters), FINDING_SORTS, sort, "findings"), limit, offset)
    for rank, r in enumerate(_stream(conn, stmt), start=offset + 1):
        detail = r.score_detail or {}
        yield {
            "rank": rank, "finding_id": r.id, "finding_key": r.finding_key, "mechanism": r.mechanism_key,
            "mechanism_category": r.mechanism_category, "stage": r.stage, "organ": r.organ, "therapy": r.therapy_key,
            "therapy_class": r.therapy_class, "direction": detail.get("direction"), "score": round(r.score, 4),
            "n_papers": r.n_papers, "n_contradicting": r.n_contradicting, "n_evidence": r.n_evidence,
            "n_accepted": r.n_accepted, "n_rejected": r.n_rejected, "n_unreviewed": r.n_unreviewed,
            "first_year": r.first_year, "last_year": r.last_year, "top_pmids": list(detail.get("top_pmids", [])),
        }  # fmt: skip


# --- evidence ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _concept_id(facet: str, key: str | None) -> str | None:
    concept = default_vocabulary().get(facet, key) if key else None
    return concept.concept_id if concept else None


def evidence_select(filters: Filters, *columns: Any, linked_only: bool = False) -> Select[Any]:
    return apply_evidence(evidence_from(*columns, linked_only=linked_only), filters)


_EVIDENCE_COLS = (
    E.pmid, A.doi, A.pub_year, A.journal, A.title, E.study_type, F.id, F.organ, F.stage, F.mechanism_key,
    F.mechanism_category, F.therapy_key, F.therapy_class, F.finding_key, F.score, E.organ, E.stage,
    E.mechanism_key, E.mechanism_category, E.therapy_key, E.therapy_class, E.mechanism_concept_id,
    E.therapy_concept_id, E.polarity, E.negated, E.hedged, E.confidence, E.sentence, E.section, E.start, E.end,
    RD.status, RD.reviewer, RD.decided_at, RD.note, RD.corrections, E.extractor_version, E.evidence_key, E.spans,
)  # fmt: skip


def evidence_rows(
    conn: Connection,
    filters: Filters,
    *,
    sort: str = "score",
    limit: int | None = None,
    offset: int = 0,
    linked_only: bool = False,
    spans_as_text: bool = False,
) -> Iterator[dict[str, Any]]:
    """Evidence with its effective slots (the finding's, after corrections) and its review state.

    ``linked_only`` skips evidence not yet ranked into a finding (see :func:`evidence_from`);
    ``spans_as_text`` passes the spans through as their JSON text (for CSV/TSV: no decoding).
    """
    columns = (*_EVIDENCE_COLS[:-1], cast(E.spans, Text) if spans_as_text else E.spans)
    stmt = evidence_select(filters, *columns, linked_only=linked_only)
    stmt = _page(_sorted(stmt, EVIDENCE_SORTS, sort, "evidence"), limit, offset)
    for r in _stream(conn, stmt):
        linked = r[6] is not None
        organ, stage, mech, mcat, ther, tcls = r[7:13] if linked else r[15:21]
        corrections = r[35] or {}
        polarity = corrections.get("polarity", r[23])
        yield {
            "pmid": r[0], "doi": r[1], "year": r[2], "journal": r[3], "title": r[4], "study_design": r[5],
            "metastatic_site": organ, "metastatic_site_uberon": _concept_id("ORGAN", organ),
            "metastatic_site_mesh": ORGAN_MESH.get(organ or ""), "cascade_stage": stage,
            "mechanism": mech, "mechanism_category": mcat,
            "mechanism_id": r[21] if mech == r[17] else _concept_id("MECHANISM", mech),
            "therapy": ther, "therapy_class": tcls,
            "therapy_id": r[22] if ther == r[19] else _concept_id("THERAPY", ther),
            "effect_direction": polarity, "negated": bool(r[24]), "hedged": bool(r[25]), "confidence": r[26],
            "evidence_sentence": r[27], "section": r[28], "char_start": r[29], "char_end": r[30],
            "finding_key": r[13], "finding_score": round(r[14], 4) if r[14] is not None else None,
            "review_status": r[31] or "unreviewed", "reviewer": r[32],
            "decided_at": r[33].isoformat() if r[33] else None, "review_note": r[34], "corrected": bool(corrections),
            "extractor_version": r[36], "evidence_key": r[37], "spans": r[38] or ("[]" if spans_as_text else []),
        }  # fmt: skip


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
    stmt = _page(_sorted(apply_articles(stmt, filters), ARTICLE_SORTS, sort, "articles"), limit, offset)
    for a in _stream(conn, stmt):
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
