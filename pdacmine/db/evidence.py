"""Storing extraction results: evidence rows and per-article extraction state.

An article is *pending* when it is not deleted, not merged into another record by deduplication
(``duplicate_of``), and has no extraction by the current extractor version, or was updated (a new
PubMed version, new indexing) after its last extraction. Records from any source are extracted;
evidence names a record without a PMID by ``doi:<DOI>`` or ``record:<id>`` (:func:`record_key`).
:func:`save_extractions` replaces an article's evidence as a whole: old rows are deleted, the
new tuples (:class:`~pdacmine.miner.evidence.EvidenceRecord`) inserted (one row per distinct
``evidence_key``), and its ``ArticleExtraction`` row written; the caller commits once per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from pdacmine.db.engine import chunked_in
from pdacmine.miner.evidence import AnnotatedDocument
from pdacmine.miner.records import Annotated, Failure
from pdacmine.miner.sources.records import record_key
from pdacmine.models import Article, ArticleExtraction, Evidence
from pdacmine.models.base import utcnow


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What extraction reads of one article (``pmid``: the record's key, see :func:`record_key`)."""

    id: int
    pmid: str
    title: str
    abstract: str
    publication_types: list[Any]


def pending_article_ids(session: Session, version: str, all_: bool = False) -> list[int]:
    """IDs of the articles to (re-)extract, ascending; ``all_`` takes every non-deleted article.

    Pending: never extracted, extracted by another extractor version, or changed since its
    extraction (``last_updated`` after ``extracted_at``: a re-import with new content, e.g. a new
    version or MeSH indexing; an identical re-import leaves ``last_updated`` alone).
    """
    query = select(Article.id).where(Article.deleted.is_(False), Article.duplicate_of.is_(None)).order_by(Article.id)
    if not all_:
        query = query.outerjoin(ArticleExtraction, ArticleExtraction.article_id == Article.id).where(
            or_(
                ArticleExtraction.article_id.is_(None),
                ArticleExtraction.extractor_version != version,
                Article.last_updated > ArticleExtraction.extracted_at,
            )
        )
    return list(session.scalars(query))


def load_articles(session: Session, ids: Sequence[int]) -> list[ArticleText]:
    """The texts of ``ids`` (deleted articles left out), in the order of ``ids``."""
    rows: dict[int, ArticleText] = {}
    for where in chunked_in(Article.id, ids):
        query = select(
            Article.id, Article.pmid, Article.doi, Article.title, Article.abstract, Article.publication_types
        ).where(where, Article.deleted.is_(False))
        for row in session.execute(query):
            key = record_key(row.pmid, row.doi, row.id)
            rows[row.id] = ArticleText(row.id, key, row.title or "", row.abstract or "", row.publication_types or [])
    return [rows[i] for i in ids if i in rows]


def evidence_rows(article_id: int, document: AnnotatedDocument, version: str) -> Iterator[dict[str, Any]]:
    """Evidence table rows of one annotated document, one per distinct evidence key."""
    pmid = document.pmid
    # A DOI may be shared by records not yet deduplicated: keys of records without a PMID hash the article id.
    basis = pmid if pmid.isdigit() else f"record:{article_id}"
    seen: set[str] = set()
    for t in document.tuples:
        key = t.evidence_key(basis)
        if key in seen:
            continue
        seen.add(key)
        mech, ther = t.mechanism, t.therapy
        yield {
            "evidence_key": key,
            "article_id": article_id,
            "pmid": pmid,
            "sentence": t.sentence,
            "start": t.start,
            "end": t.end,
            "section": t.section[:50] if t.section else None,
            "mechanism_key": mech.key if mech else None,
            "mechanism_category": mech.category if mech else None,
            "mechanism_concept_id": mech.concept_id if mech else None,
            "stage": t.stage,
            "organ": t.organ,
            "therapy_key": ther.key if ther else None,
            "therapy_class": ther.category if ther else None,
            "therapy_concept_id": ther.concept_id if ther else None,
            "polarity": t.polarity,
            "negated": t.negated,
            "hedged": t.hedged,
            "study_type": t.study_type,
            "confidence": t.confidence,
            "spans": [s.to_json() for s in t.spans],
            "extractor_version": version,
        }


def save_extractions(session: Session, results: Iterable[tuple[int, Annotated]], version: str) -> int:
    """Replace the evidence and extraction state of each (article id, annotated document) pair; returns rows inserted.

    An output that is a :class:`~pdacmine.miner.annotate.Failure` leaves the article without evidence
    and records the reason in ``article_extractions.error``. Flushes, never commits.
    """
    results = list(results)
    ids = [article_id for article_id, _ in results]
    if not ids:
        return 0
    for table in (Evidence, ArticleExtraction):
        for where in chunked_in(table.article_id, ids):
            session.execute(delete(table).where(where))
    rows: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    now = utcnow()
    for article_id, document in results:
        state = {"article_id": article_id, "extractor_version": version, "extracted_at": now}
        if isinstance(document, Failure):
            states.append({**state, "n_entities": 0, "n_evidence": 0, "entities": {}, "error": document.reason})
            continue
        mine = list(evidence_rows(article_id, document, version))
        rows += mine
        states.append(
            {
                **state,
                "n_entities": len(document.entities),
                "n_evidence": len(mine),
                "entities": extraction_state(document),
                "error": None,
            }
        )
    if rows:
        session.execute(insert(Evidence), rows)
    session.execute(insert(ArticleExtraction), states)
    session.flush()
    return len(rows)


def extraction_state(document: AnnotatedDocument) -> dict[str, Any]:
    """``ArticleExtraction.entities``: the document-level sets plus primary cancer and study type."""
    state = document.document.to_json()
    state["primary"] = document.primary
    state["study_type"] = document.study_type
    return state
