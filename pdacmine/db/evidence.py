"""Storing extraction results: evidence rows and per-article extraction state.

An article is *pending* when it is not deleted, not merged into another record by deduplication
(``duplicate_of``), and has no extraction by the current extractor version, or was updated (a new
PubMed version, new indexing) after its last extraction. Records from any source are extracted;
evidence names a record without a PMID by ``doi:<DOI>`` or ``record:<id>`` (:func:`record_key`).
:func:`save_extractions` replaces an article's evidence as a whole: old rows are deleted, the
new tuples inserted (one row per distinct ``evidence_key``), and its ``ArticleExtraction`` row
written; the caller commits once per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from pdacmine.db.engine import chunked_in
from pdacmine.miner.evidence import evidence_key
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


def evidence_rows(article_id: int, output: Mapping[str, Any], version: str) -> Iterator[dict[str, Any]]:
    """Evidence table rows of one ``annotate`` output object, one per distinct evidence key."""
    pmid = str(output["pmid"])
    # A DOI may be shared by records not yet deduplicated: keys of records without a PMID hash the article id.
    basis = pmid if pmid.isdigit() else f"record:{article_id}"
    seen: set[str] = set()
    for t in output.get("tuples") or ():
        mech, ther = t.get("mechanism") or {}, t.get("therapy") or {}
        key = evidence_key(basis, t["sentence"], mech.get("key"), t.get("stage"), t.get("organ"), ther.get("key"))
        if key in seen:
            continue
        seen.add(key)
        yield {
            "evidence_key": key,
            "article_id": article_id,
            "pmid": pmid,
            "sentence": t["sentence"],
            "start": t["start"],
            "end": t["end"],
            "section": (t.get("section") or None) and str(t["section"])[:50],
            "mechanism_key": mech.get("key"),
            "mechanism_category": mech.get("category"),
            "mechanism_concept_id": mech.get("concept_id"),
            "stage": t.get("stage"),
            "organ": t.get("organ"),
            "therapy_key": ther.get("key"),
            "therapy_class": ther.get("class"),
            "therapy_concept_id": ther.get("concept_id"),
            "polarity": t.get("polarity") or "associated",
            "negated": bool(t.get("negated")),
            "hedged": bool(t.get("hedged")),
            "study_type": t.get("study_type") or "other",
            "confidence": float(t.get("confidence", 0.5)),
            "spans": list(t.get("spans") or []),
            "extractor_version": version,
        }


def save_extractions(session: Session, results: Iterable[tuple[int, Annotated]], version: str) -> int:
    """Replace the evidence and extraction state of each (article id, output) pair; returns rows inserted.

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
    for article_id, output in results:
        state = {"article_id": article_id, "extractor_version": version, "extracted_at": now}
        if isinstance(output, Failure):
            states.append({**state, "n_entities": 0, "n_evidence": 0, "entities": {}, "error": output.reason})
            continue
        mine = list(evidence_rows(article_id, output, version))
        rows += mine
        states.append(
            {
                **state,
                "n_entities": len(output.get("entities") or ()),
                "n_evidence": len(mine),
                "entities": extraction_state(output),
                "error": None,
            }
        )
    if rows:
        session.execute(insert(Evidence), rows)
    session.execute(insert(ArticleExtraction), states)
    session.flush()
    return len(rows)


def extraction_state(output: Mapping[str, Any]) -> dict[str, Any]:
    """``ArticleExtraction.entities``: the document-level sets plus primary cancer and study type."""
    state = dict(output.get("document") or {})
    state["primary"] = output.get("primary")
    state["study_type"] = output.get("study_type")
    return state
