"""The selects behind ``query`` (and ``export findings|evidence``): findings and their evidence.

:func:`finding_rows` and :func:`evidence_rows` take an open :class:`~sqlalchemy.Connection`,
apply a :class:`~pdacmine.db.filters.Filters` (:mod:`pdacmine.db.conditions`), and yield one
plain dict per row, fetching ``YIELD_PER`` rows at a time (a server-side cursor on PostgreSQL)
so memory stays flat however many rows there are. Keep the connection open while iterating.
With a date, PMID or study-type filter, findings are scored again over the evidence that passes
(:mod:`pdacmine.db.filtered_findings`). Article rows and the PRISMA counts are in
:mod:`pdacmine.db.exports`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, Text, cast, func, select

from pdacmine.db.conditions import apply_evidence, apply_findings, evidence_from
from pdacmine.db.filtered_findings import filtered_finding_rows, restricts_evidence
from pdacmine.db.filters import Filters
from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import default_vocabulary
from pdacmine.miner.rank import ORGAN_MESH
from pdacmine.models import Article, Evidence, Finding, ReviewDecision

YIELD_PER = 1000
F, E, A, RD = Finding, Evidence, Article, ReviewDecision

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


def sort_by(stmt: Select[Any], sorts: dict[str, tuple[Any, ...]], sort: str, level: str) -> Select[Any]:
    """``stmt`` ordered by the named sort of ``sorts``; :class:`InputError` naming the choices for another."""
    if sort not in sorts:
        raise InputError(f"cannot sort {level} by {sort!r}; use one of {', '.join(sorts)}")
    return stmt.order_by(*sorts[sort])


def paginate(stmt: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    """``--limit`` / ``--offset`` on ``stmt``."""
    if offset < 0 or (limit is not None and limit < 0):
        raise InputError("--limit and --offset must be 0 or more")
    return stmt.limit(limit).offset(offset or None)


def stream(conn: Connection, stmt: Select[Any]) -> Any:
    """Rows of ``stmt`` fetched ``YIELD_PER`` at a time (a server-side cursor on PostgreSQL)."""
    return conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(stmt)


# --- findings ------------------------------------------------------------------------------------


def count_findings(conn: Connection, filters: Filters) -> int:
    return conn.scalar(apply_findings(select(func.count()).select_from(F), filters)) or 0


def finding_rows(
    conn: Connection,
    filters: Filters,
    *,
    sort: str = "score",
    limit: int | None = None,
    offset: int = 0,
    top_pmids: bool = True,
) -> Iterator[dict[str, Any]]:
    """Finding rows under ``filters``; ``top_pmids=False``: a row may leave them out when listing them would
    cost more (see :func:`~pdacmine.db.filtered_findings.filtered_finding_rows`)."""
    if restricts_evidence(filters):  # counts and scores over the filtered evidence only
        yield from filtered_finding_rows(conn, filters, sort=sort, limit=limit, offset=offset, top_pmids=top_pmids)
        return
    cols = (F.id, F.finding_key, F.mechanism_key, F.mechanism_category, F.stage, F.organ, F.therapy_key,
            F.therapy_class, F.score_detail, F.score, F.n_papers, F.n_contradicting, F.n_evidence, F.n_accepted,
            F.n_rejected, F.n_unreviewed, F.first_year, F.last_year)  # fmt: skip
    stmt = paginate(sort_by(apply_findings(select(*cols), filters), FINDING_SORTS, sort, "findings"), limit, offset)
    for rank, r in enumerate(stream(conn, stmt), start=offset + 1):
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
    stmt = paginate(sort_by(stmt, EVIDENCE_SORTS, sort, "evidence"), limit, offset)
    for r in stream(conn, stmt):
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
