"""The SQL conditions that apply a :class:`~pdacmine.db.filters.Filters` to a select.

One set of filters is applied to three kinds of select:

- :func:`finding_conditions`: ``FROM findings``. Facets and ``min_papers`` test the finding;
  evidence-level filters (PMID, dates, study type, text, status) keep findings with at least
  one evidence sentence that passes them all.
- :func:`evidence_conditions`: ``FROM evidence LEFT JOIN findings ON findings.id =
  evidence.finding_id JOIN articles LEFT JOIN review_decisions`` (build it with
  :func:`evidence_from`). Facets test the *effective* slots, i.e. the finding the evidence
  belongs to after reviewer corrections.
- :func:`article_conditions`: ``FROM articles``; an article passes when one of its
  evidence sentences passes the facet and evidence filters.

Values inside one option are alternatives (``--organ liver --organ lung``); different
options must all hold. Withdrawn (deleted) articles never pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.sql import ColumnElement

from pdacmine.db.filters import Filters
from pdacmine.models import Article, Evidence, Finding, ReviewDecision


def _facet_terms(f: Filters, target: Any) -> list[ColumnElement[bool]]:
    """Facet conditions on ``target`` (the Finding entity, or an alias of it)."""
    out: list[ColumnElement[bool]] = []
    if f.organs:
        out.append(target.organ.in_(f.organs))
    if f.stages:
        out.append(target.stage.in_(f.stages))
    for keys, cats, key_col, cat_col in (
        (f.mechanism_keys, f.mechanism_categories, target.mechanism_key, target.mechanism_category),
        (f.therapy_keys, f.therapy_classes, target.therapy_key, target.therapy_class),
    ):
        either = [*([key_col.in_(keys)] if keys else []), *([cat_col.in_(cats)] if cats else [])]
        if either:
            out.append(or_(*either) if len(either) > 1 else either[0])
    if f.min_papers:
        out.append(target.n_papers >= f.min_papers)
    return out


def _date_terms(f: Filters) -> list[ColumnElement[bool]]:
    """--since/--until on the article; a record with only a year passes a day bound of that year."""
    out: list[ColumnElement[bool]] = []
    a = Article
    if f.since:
        if f.since.day:
            out.append(or_(a.pub_date >= f.since.day, and_(a.pub_date.is_(None), a.pub_year >= f.since.year)))
        else:
            out.append(a.pub_year >= f.since.year)
    if f.until:
        if f.until.day:
            out.append(or_(a.pub_date <= f.until.day, and_(a.pub_date.is_(None), a.pub_year <= f.until.year)))
        else:
            out.append(a.pub_year <= f.until.year)
    return out


def _status_term(status: str | None) -> ColumnElement[bool] | None:
    """Review status of one evidence sentence; by default (None) anything but rejected, "all" anything."""
    rd = ReviewDecision.status
    if status is None:
        return or_(rd.is_(None), rd != "rejected")
    if status == "all":
        return None
    if status == "unreviewed":
        # a note or an undone first decision leaves a row whose status is "unreviewed"
        return or_(rd.is_(None), rd == "unreviewed")
    return rd == status


def _sentence_terms(f: Filters, *, pmids: bool = True) -> list[ColumnElement[bool]]:
    """--pmid (unless ``pmids`` is False), --study-type and --text on the evidence sentence."""
    out: list[ColumnElement[bool]] = []
    if pmids and f.pmids:
        out.append(Evidence.pmid.in_(f.pmids))
    if f.study_types:
        out.append(Evidence.study_type.in_(f.study_types))
    out += [Evidence.sentence.icontains(word, autoescape=True) for word in f.text]
    return out


def evidence_from(*columns: Any, linked_only: bool = False) -> Select[Any]:
    """``SELECT columns FROM evidence`` joined the way :func:`evidence_conditions` expects.

    ``linked_only`` drops evidence not yet ranked into a finding (an inner join, which lets
    the database walk findings in score order: much faster for "best evidence first").
    """
    if linked_only:
        stmt = select(*columns).select_from(Finding).join(Evidence, Evidence.finding_id == Finding.id)
    else:
        stmt = select(*columns).select_from(Evidence).outerjoin(Finding, Finding.id == Evidence.finding_id)
    return stmt.join(Article, Article.id == Evidence.article_id).outerjoin(
        ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key
    )


def evidence_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions for a select built by :func:`evidence_from` (rejected evidence only with a status)."""
    out = [Article.deleted.is_not(True), *_facet_terms(f, Finding), *_sentence_terms(f), *_date_terms(f)]
    status = _status_term(f.status)
    return out if status is None else [*out, status]


def evidence_restriction(f: Filters) -> list[ColumnElement[bool]]:
    """The article- and sentence-level filters alone (dates, PMIDs, study types, words) on a select of
    evidence joined to its article: the evidence that makes a finding's counts and score under ``f``."""
    return [Article.deleted.is_not(True), *_sentence_terms(f), *_date_terms(f)]


def finding_facets(f: Filters) -> list[ColumnElement[bool]]:
    """The facet filters alone on ``findings`` (no ``--min-papers``: that tests recomputed counts)."""
    return _facet_terms(replace(f, min_papers=None), Finding)


def finding_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions for ``SELECT ... FROM findings``.

    By default findings whose evidence was all rejected are hidden (``--status rejected`` or
    ``all`` shows them).
    """
    out = _facet_terms(f, Finding)
    counts = {"accepted": Finding.n_accepted, "rejected": Finding.n_rejected, "unreviewed": Finding.n_unreviewed}
    if f.status is None:
        out.append(Finding.n_accepted + Finding.n_unreviewed > 0)
    elif f.status in counts:
        out.append(counts[f.status] > 0)
    if f.has_evidence_terms:
        inner = [Evidence.finding_id == Finding.id, Article.deleted.is_not(True), *_sentence_terms(f), *_date_terms(f)]
        sub = select(Evidence.id).join(Article, Article.id == Evidence.article_id)
        sub = _join_status(sub, f, inner)
        out.append(exists(sub.where(*inner).correlate(Finding)))
    return out


def _join_status(sub: Select[Any], f: Filters, inner: list[ColumnElement[bool]]) -> Select[Any]:
    """Join the review decision to an evidence subquery when the status filter needs it (appends its term)."""
    status = _status_term(f.status)
    if status is None:
        return sub
    inner.append(status)
    return sub.outerjoin(ReviewDecision, ReviewDecision.evidence_key == Evidence.evidence_key)


def _article_key_terms(keys: Sequence[str]) -> ColumnElement[bool]:
    """Articles named by PMIDs or ``doi:`` / ``record:`` keys."""
    pmids = [k for k in keys if k.isdigit()]
    ids = [int(k[7:]) for k in keys if k.startswith("record:")]
    dois = [k[4:] for k in keys if k.startswith("doi:")]
    return or_(Article.pmid.in_(pmids), Article.id.in_(ids), func.lower(Article.doi).in_(dois))


def article_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions for ``SELECT ... FROM articles`` (facet and sentence filters test the article's evidence)."""
    out = [Article.deleted.is_not(True), *_date_terms(f)]
    if f.pmids:
        out.append(_article_key_terms(f.pmids))
    inner = [*_facet_terms(f, Finding), *_sentence_terms(f, pmids=False)]
    if inner or f.status not in (None, "all"):
        sub = select(Evidence.id).where(Evidence.article_id == Article.id)
        if f.has_facets:
            sub = sub.join(Finding, Finding.id == Evidence.finding_id)
        sub = _join_status(sub, f, inner)
        out.append(exists(sub.where(*inner).correlate(Article)))
    return out


def apply_findings(stmt: Select[Any], f: Filters) -> Select[Any]:
    return stmt.where(*finding_conditions(f))


def apply_evidence(stmt: Select[Any], f: Filters) -> Select[Any]:
    return stmt.where(*evidence_conditions(f))


def apply_articles(stmt: Select[Any], f: Filters) -> Select[Any]:
    return stmt.where(*article_conditions(f))
