"""Extraction output: evidence tuples, per-article extraction state, and ranked findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from pdacmine.models.base import Base, utcnow


class ArticleExtraction(Base):
    """Which extractor version last processed an article (``extract`` skips up-to-date ones)."""

    __tablename__ = "article_extractions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(40), index=True)
    extracted_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_entities: Mapped[int] = mapped_column(Integer, default=0)
    n_evidence: Mapped[int] = mapped_column(Integer, default=0)
    #: Document-level sets from entities (organs, stages, therapies...), for screening/PRISMA.
    entities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Why the pipeline failed on this article (NULL: extracted); retried when the version or article changes.
    error: Mapped[str | None] = mapped_column(Text)


class Evidence(Base):
    """One sentence-level mechanism–stage–organ–therapy tuple with its evidence.

    ``evidence_key`` is a stable hash of (PMID, normalised sentence, machine slots): a
    re-extraction that finds the same claim gets the same key, so review decisions
    (keyed by it) survive. ``spans`` lists the entity spans inside the sentence for
    highlighting: ``[{"start": 0, "end": 5, "label": "ORGAN", "key": "liver"}]`` with
    offsets relative to the sentence.
    """

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_key: Mapped[str] = mapped_column(String(40), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    #: The record's identifier: its PMID, else ``doi:<DOI>``, else ``record:<article id>`` (records
    #: imported from other databases; see :func:`pdacmine.miner.sources.records.record_key`).
    pmid: Mapped[str] = mapped_column(String(255), index=True)
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(String(50))
    mechanism_key: Mapped[str | None] = mapped_column(String(100))
    mechanism_category: Mapped[str | None] = mapped_column(String(50))
    mechanism_concept_id: Mapped[str | None] = mapped_column(String(50))
    stage: Mapped[str | None] = mapped_column(String(50))
    organ: Mapped[str | None] = mapped_column(String(50))
    therapy_key: Mapped[str | None] = mapped_column(String(100))
    therapy_class: Mapped[str | None] = mapped_column(String(50))
    therapy_concept_id: Mapped[str | None] = mapped_column(String(50))
    polarity: Mapped[str] = mapped_column(String(20), default="associated")
    negated: Mapped[bool] = mapped_column(Boolean, default=False)
    hedged: Mapped[bool] = mapped_column(Boolean, default=False)
    study_type: Mapped[str] = mapped_column(String(20), default="other")
    confidence: Mapped[float] = mapped_column(Float, default=0.5)
    spans: Mapped[list[Any]] = mapped_column(default=list)
    extractor_version: Mapped[str] = mapped_column(String(40))
    #: Effective finding after reviewer corrections (set by ranking).
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_evidence_organ", "organ"),
        Index("ix_evidence_stage", "stage"),
        Index("ix_evidence_mechanism_category", "mechanism_category"),
        Index("ix_evidence_therapy_key", "therapy_key"),
        # the review queue's order within a finding (migration 0009)
        Index("ix_evidence_finding_confidence", "finding_id", text("confidence DESC"), "id"),
    )


class Finding(Base):
    """A distinct (mechanism, stage, organ, therapy) key gathering all its evidence."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_key: Mapped[str] = mapped_column(String(300), unique=True)
    mechanism_key: Mapped[str | None] = mapped_column(String(100), index=True)
    mechanism_category: Mapped[str | None] = mapped_column(String(50), index=True)
    stage: Mapped[str | None] = mapped_column(String(50), index=True)
    organ: Mapped[str | None] = mapped_column(String(50), index=True)
    therapy_key: Mapped[str | None] = mapped_column(String(100), index=True)
    therapy_class: Mapped[str | None] = mapped_column(String(50), index=True)
    n_papers: Mapped[int] = mapped_column(Integer, default=0, index=True)
    n_evidence: Mapped[int] = mapped_column(Integer, default=0)
    n_contradicting: Mapped[int] = mapped_column(Integer, default=0)
    n_accepted: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    n_unreviewed: Mapped[int] = mapped_column(Integer, default=0)
    first_year: Mapped[int | None] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    #: The most the finding can score under any year filter: its ``finding_years`` support (associated) summed
    #: over every year (migration 0010); a page of the best findings walks findings in this order.
    year_bound: Mapped[float | None] = mapped_column(Float, index=True)
    #: A digest of the finding's ``finding_years`` rows (a refresh rewrites them only when it changes).
    years_digest: Mapped[int | None] = mapped_column(BigInteger)
    #: The terms of the score formula, for ``rank --explain``.
    score_detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    #: (facet, score) and (organ, facet, score): filtered queries read findings best-first (migrations 0004, 0005).
    __table_args__ = (
        *(
            Index(f"ix_findings_{c}_score", c, "score")
            for c in ("organ", "stage", "mechanism_key", "mechanism_category", "therapy_key", "therapy_class")
        ),
        *(
            Index(f"ix_findings_organ_{c}_score", "organ", c, "score")
            for c in ("stage", "mechanism_category", "therapy_class")
        ),
    )


class FindingYear(Base):
    """What one publication year's papers add to a finding's score and counts (:mod:`pdacmine.miner.rank_years`).

    Kept in step with ``findings`` by every refresh; a ``--since``/``--until`` of whole years sums these rows
    instead of scoring the evidence again. The per-direction columns end in ``_promotes``, ``_suppresses``
    and ``_associated``: which one counts is decided by the summed ``pro`` and ``sup``.
    """

    __tablename__ = "finding_years"

    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the finding's organ (part of its key, so it never changes): the evidence-per-year chart's colour
    organ: Mapped[str | None] = mapped_column(String(50))
    pro: Mapped[float] = mapped_column(Float)
    sup: Mapped[float] = mapped_column(Float)
    support_promotes: Mapped[float] = mapped_column(Float)
    support_suppresses: Mapped[float] = mapped_column(Float)
    support_associated: Mapped[float] = mapped_column(Float)
    contradiction_promotes: Mapped[float] = mapped_column(Float)
    contradiction_suppresses: Mapped[float] = mapped_column(Float)
    contradiction_associated: Mapped[float] = mapped_column(Float)
    papers_promotes: Mapped[int] = mapped_column(Integer)
    papers_suppresses: Mapped[int] = mapped_column(Integer)
    papers_associated: Mapped[int] = mapped_column(Integer)
    contradicting_promotes: Mapped[int] = mapped_column(Integer)
    contradicting_suppresses: Mapped[int] = mapped_column(Integer)
    contradicting_associated: Mapped[int] = mapped_column(Integer)
    n_evidence: Mapped[int] = mapped_column(Integer)
    n_accepted: Mapped[int] = mapped_column(Integer)
    n_rejected: Mapped[int] = mapped_column(Integer)
    #: live (not rejected) sentences per study type
    n_clinical: Mapped[int] = mapped_column(Integer)
    n_human_tissue: Mapped[int] = mapped_column(Integer)
    n_animal: Mapped[int] = mapped_column(Integer)
    n_in_vitro: Mapped[int] = mapped_column(Integer)
    n_review: Mapped[int] = mapped_column(Integer)
    n_other: Mapped[int] = mapped_column(Integer)

    #: the map's charts read a year range from this index alone (migration 0010)
    __table_args__ = (
        Index("ix_finding_years_charts", "year", "organ", "n_evidence", "n_rejected", "n_clinical", "n_human_tissue",
              "n_animal", "n_in_vitro", "n_review", "n_other", "finding_id"),
    )  # fmt: skip


class FindingYearsState(Base):
    """One row while ``finding_years`` holds every finding's years, scored with these weights and reference year.

    A full refresh writes it; an incremental refresh with other weights or another reference year deletes it
    (its rows would mix two scorings), and then filtered queries score the evidence again until the next full one.
    """

    __tablename__ = "finding_years_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference_year: Mapped[int] = mapped_column(Integer)
    weights_digest: Mapped[str] = mapped_column(String(20))
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
