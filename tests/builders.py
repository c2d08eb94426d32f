"""Build articles, evidence and review decisions directly in a test database (no NLP pipeline).

Usage::

    with Session(engine) as s:
        art = add_article(s, "100", year=2020, mesh=[secondary("D008113", "Liver Neoplasms")])
        ev = add_evidence(s, art, mechanism="zeb1", organ="liver", study_type="animal")
        decide(s, ev, "accepted")
        s.commit()
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from pdacmine.db.harvest import add_query, finish_run, record_hits, start_run
from pdacmine.db.screening import write_decision
from pdacmine.miner.evidence import evidence_key
from pdacmine.models import Article, ArticleExtraction, Evidence, ReviewDecision, SavedQuery, SearchRun

_counter = itertools.count(1)


def secondary(ui: str, name: str, qualifier: str = "secondary", qualifier_ui: str | None = "Q000556") -> dict[str, Any]:
    """A MeSH heading with one qualifier, as ``Article.mesh`` stores it."""
    return {
        "ui": ui,
        "name": name,
        "major": False,
        "qualifiers": [{"ui": qualifier_ui, "name": qualifier, "major": True}],
    }


def add_article(
    session: Session,
    pmid: str,
    *,
    year: int | None = 2020,
    title: str | None = None,
    abstract: str = "An abstract about pancreatic cancer metastasis.",
    mesh: Iterable[dict[str, Any]] = (),
    authors: Iterable[dict[str, Any]] | None = None,
    extracted: bool = True,
    **fields: Any,
) -> Article:
    """An article; ``extracted`` also records that extraction has processed it."""
    art = Article(
        pmid=pmid,
        title=title if title is not None else f"Study {pmid} of metastatic pancreatic cancer",
        abstract=abstract,
        pub_year=year,
        pub_date=fields.pop("pub_date", date(year, 6, 1) if year else None),
        mesh=list(mesh),
        authors=list(authors) if authors is not None else [{"last": "Doe", "fore": "Jane", "initials": "J"}],
        source=fields.pop("source", "eutils"),
        journal=fields.pop("journal", "Journal of Pancreatic Research"),
        **fields,
    )
    session.add(art)
    session.flush()
    if extracted:
        session.add(ArticleExtraction(article_id=art.id, extractor_version="test"))
        session.flush()
    return art


def add_evidence(
    session: Session,
    article: Article,
    *,
    mechanism: str | None = "zeb1",
    category: str | None = "emt-plasticity",
    stage: str | None = None,
    organ: str | None = "liver",
    therapy: str | None = None,
    therapy_class: str | None = None,
    sentence: str | None = None,
    study_type: str = "animal",
    confidence: float = 0.8,
    hedged: bool = False,
    negated: bool = False,
    polarity: str = "promotes",
    spans: list[dict[str, Any]] | None = None,
) -> Evidence:
    """One evidence row with a real ``evidence_key`` (each call gets a distinct sentence unless given)."""
    text = sentence or f"Sentence {next(_counter)}: {mechanism or 'therapy'} drives {organ or 'distant'} metastasis."
    ev = Evidence(
        evidence_key=evidence_key(article.pmid, text, mechanism, stage, organ, therapy),
        article_id=article.id,
        pmid=article.pmid,
        sentence=text,
        start=0,
        end=len(text),
        mechanism_key=mechanism,
        mechanism_category=category,
        stage=stage,
        organ=organ,
        therapy_key=therapy,
        therapy_class=therapy_class,
        polarity=polarity,
        negated=negated,
        hedged=hedged,
        study_type=study_type,
        confidence=confidence,
        spans=spans or [],
        extractor_version="test",
    )
    session.add(ev)
    session.flush()
    return ev


def decide(
    session: Session,
    evidence: Evidence,
    status: str,
    corrections: dict[str, Any] | None = None,
    reviewer: str = "tester",
    note: str | None = None,
) -> ReviewDecision:
    """Set (or replace) the current review decision of ``evidence``."""
    row = session.get(ReviewDecision, evidence.evidence_key)
    if row is None:
        row = ReviewDecision(evidence_key=evidence.evidence_key, pmid=evidence.pmid, status=status, reviewer=reviewer)
        session.add(row)
    row.status, row.corrections, row.note, row.reviewer = status, dict(corrections or {}), note, reviewer
    session.flush()
    return row


def add_search(session: Session, name: str, pmids: Iterable[str], *, status: str = "ok") -> SearchRun:
    """A saved query with one search run that identified ``pmids``."""
    query = session.query(SavedQuery).filter_by(name=name).one_or_none() or add_query(session, name, f"{name}[tiab]")
    ids = set(pmids)
    run = start_run(session, query, query_sent=query.term, hits=len(ids), fetched=len(ids), tool_version="test")
    finish_run(session, run.id, status)
    record_hits(session, run.id, ids)
    session.flush()
    return run


def screen(
    session: Session, article: Article, decision: str, reason: str | None = None, reviewer: str = "tester"
) -> None:
    """A reviewer's record-level screening decision (with its audit row), as ``pdacmine screen`` writes it."""
    write_decision(session, article, reviewer, decision, reason)
