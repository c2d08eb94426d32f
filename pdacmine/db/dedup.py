"""Deduplication in the database: load records for matching, apply merges, split and confirm, report.

A merge sets ``articles.duplicate_of`` of the duplicate to the kept record; the duplicate keeps
its row and its ``record_sources`` (PRISMA still counts it as identified) but loses its evidence
(re-extracted if it is ever split off again: review decisions are keyed by evidence and come
back with it). Review decisions on that evidence are first carried over to the kept record, keyed
as the same sentence and slots are there, and audited as ``carry``. Every change appends a
``dedup_audit`` row (who, when, what, method, score). A split is remembered: the records it
separated are never merged again automatically.
Functions flush; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pdacmine.db.dedup_carry import carry_decisions, carry_screening
from pdacmine.db.engine import chunked_in
from pdacmine.errors import InputError
from pdacmine.miner.dedup import DedupPlan, DedupRecord, Match, plan_dedup
from pdacmine.miner.sources.records import normalise_doi, normalise_pmcid
from pdacmine.models import Article, ArticleExtraction, DedupAudit, Evidence, RecordSource


def _first_author(authors: Any) -> str | None:
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return authors[0].get("last") or authors[0].get("collective")
    return None


def load_records(session: Session) -> list[DedupRecord]:
    """Every stored, non-withdrawn record in the shape matching needs."""
    has_abstract = func.length(func.coalesce(Article.abstract, "")) > 0
    stmt = select(
        Article.id, Article.title, Article.pub_year, Article.authors, Article.pmid, Article.doi, Article.pmcid,
        has_abstract, Article.publication_types,
    ).where(Article.deleted.is_(False)).order_by(Article.id)  # fmt: skip
    out = []
    for r in session.execute(stmt):
        types = tuple(t.get("name") or "" for t in r.publication_types or () if isinstance(t, dict))
        out.append(
            DedupRecord(
                r.id,
                r.title or "",
                r.pub_year,
                _first_author(r.authors),
                r.pmid,
                normalise_doi(r.doi),
                normalise_pmcid(r.pmcid),
                bool(r[7]),
                types,
            )
        )
    return out


def current_links(session: Session) -> dict[int, int]:
    """duplicate id -> kept id of every current merge."""
    stmt = select(Article.id, Article.duplicate_of).where(Article.duplicate_of.is_not(None))
    return {i: k for i, k in session.execute(stmt) if k is not None}


def kept_apart(session: Session) -> set[tuple[int, int]]:
    """Pairs a person split and did not merge again since."""
    state: dict[tuple[int, int], bool] = {}
    for action, a, b in session.execute(
        select(DedupAudit.action, DedupAudit.article_id, DedupAudit.canonical_id).order_by(DedupAudit.id)
    ):
        state[(min(a, b), max(a, b))] = action == "split"
    return {pair for pair, apart in state.items() if apart}


def current_plan(session: Session) -> DedupPlan:
    """What matching finds now, given the current merges and the splits people made."""
    return plan_dedup(load_records(session), kept_apart=kept_apart(session), existing=current_links(session))


@dataclass
class DedupResult:
    merged: int = 0  # records newly marked as duplicates
    groups: int = 0  # groups with at least one duplicate after the run
    near: int = 0  # near-duplicate pairs left for a person
    carried: tuple[int, int] = (0, 0)  # review and screening decisions carried over to the kept records
    by_method: dict[str, int] = field(default_factory=dict)


def _audit(session: Session, actor: str, action: str, article: int, kept: int, method: str, **kw: Any) -> None:
    session.add(DedupAudit(actor=actor, action=action, article_id=article, canonical_id=kept, method=method, **kw))


def _drop_evidence(session: Session, moves: dict[int, int], actor: str) -> tuple[int, int]:
    """Merged records (``moves``: merged id -> kept id) are not extracted: their evidence goes, after the review
    decisions on it and the screening decisions are carried over to the kept record
    (:mod:`pdacmine.db.dedup_carry`); findings are refreshed. Returns how many review and screening
    decisions were carried."""
    if not moves:
        return (0, 0)
    from pdacmine.db.findings import refresh_findings

    carried = (carry_decisions(session, moves, actor=actor), carry_screening(session, moves, actor=actor))
    ids = sorted(moves)
    for table in (Evidence, ArticleExtraction):
        for where in chunked_in(table.article_id, ids):
            session.execute(delete(table).where(where))
    refresh_findings(session, article_ids=sorted({*ids, *moves.values()}))
    return carried


def apply_plan(session: Session, plan: DedupPlan, actor: str) -> DedupResult:
    """Point every group member at its kept record (audited); returns what changed."""
    links = current_links(session)
    result = DedupResult(groups=len(plan.groups), near=len(plan.near))
    changed: dict[int, int] = {}
    for kept, members in plan.groups.items():
        if kept in links:  # a former duplicate became the kept record of its group
            session.execute(update(Article).where(Article.id == kept).values(duplicate_of=None))
            _audit(session, actor, "regroup", kept, links[kept], "regroup", note="became the kept record")
        for member in members[1:]:
            if links.get(member) == kept:
                continue
            match = plan.via.get(member)
            method = match.method if match else "regroup"
            session.execute(update(Article).where(Article.id == member).values(duplicate_of=kept))
            _audit(session, actor, "merge", member, kept, method, score=match.score if match else None)
            result.by_method[method] = result.by_method.get(method, 0) + 1
            if member not in links:
                changed[member] = kept
                result.merged += 1
    result.carried = _drop_evidence(session, changed, actor)
    session.flush()
    return result


def _article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise InputError(f"no record with id {article_id} (ids are listed by pdacmine dedup --report)")
    return article


def split(session: Session, article_id: int, actor: str, note: str | None = None) -> list[int]:
    """Take a record out of its group (a kept record: dissolve the group); returns the ids set apart."""
    article = _article(session, article_id)
    kept = article.duplicate_of or article.id
    group = [kept, *session.scalars(select(Article.id).where(Article.duplicate_of == kept).order_by(Article.id))]
    if len(group) < 2:
        raise InputError(f"record {article_id} is not merged with any other record")
    leaving = [article.id] if article.duplicate_of is not None else group[1:]
    for dup in leaving:
        session.execute(update(Article).where(Article.id == dup).values(duplicate_of=None))
        for other in group if article.duplicate_of is not None else [kept]:
            if other != dup:  # kept apart from every record of the group it left
                _audit(session, actor, "split", dup, other, "manual", note=note)
    session.flush()
    return leaving


def confirm(session: Session, first: int, second: int, actor: str, note: str | None = None) -> str:
    """Confirm that two records are the same study: audit an existing merge, or merge them (``second``'s
    group into ``first``'s). Returns ``"confirmed"`` or ``"merged"``."""
    if first == second:
        raise InputError("confirm needs two different record ids")
    a, b = _article(session, first), _article(session, second)
    kept_a, kept_b = a.duplicate_of or a.id, b.duplicate_of or b.id
    if kept_a == kept_b:
        for rec in (a, b):
            if rec.id != kept_a:
                _audit(session, actor, "confirm", rec.id, kept_a, "manual", note=note)
        session.flush()
        return "confirmed"
    moved = [kept_b, *session.scalars(select(Article.id).where(Article.duplicate_of == kept_b))]
    session.execute(update(Article).where(Article.id.in_(moved)).values(duplicate_of=kept_a))
    for rec in moved:
        _audit(session, actor, "merge", rec, kept_a, "manual", note=note)
    _drop_evidence(session, {kept_b: kept_a}, actor)
    session.flush()
    return "merged"


# -- report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLine:
    """One record as the report shows it."""

    id: int
    pmid: str | None
    doi: str | None
    year: int | None
    first_author: str | None
    title: str
    sources: tuple[str, ...]
    method: str | None = None  # how it joined its group (merged records)
    confirmed: bool = False


@dataclass
class DedupReport:
    groups: list[list[RecordLine]]
    near: list[tuple[Match, RecordLine, RecordLine]]


def _lines(session: Session, ids: set[int]) -> dict[int, RecordLine]:
    sources: dict[int, set[str]] = defaultdict(set)
    for where in chunked_in(RecordSource.article_id, ids):
        for aid, db in session.execute(select(RecordSource.article_id, RecordSource.database).where(where)):
            sources[aid].add(db)
    last: dict[int, tuple[str, str | None]] = {}
    for where in chunked_in(DedupAudit.article_id, ids):
        stmt = select(DedupAudit.article_id, DedupAudit.action, DedupAudit.method).where(where).order_by(DedupAudit.id)
        for aid, action, method in session.execute(stmt):
            last[aid] = (action, method if action == "merge" else last.get(aid, ("", method))[1])
    out = {}
    for where in chunked_in(Article.id, ids):
        cols = select(
            Article.id, Article.pmid, Article.doi, Article.pub_year, Article.authors, Article.title, Article.source
        )
        for r in session.execute(cols.where(where)):
            action, how = last.get(r.id, ("", None))
            srcs = sources.get(r.id) or {"PubMed" if r.source in ("eutils", "file") else r.source}
            out[r.id] = RecordLine(
                r.id, r.pmid, r.doi, r.pub_year, _first_author(r.authors), r.title or "",
                tuple(sorted(srcs)), how, action == "confirm",
            )  # fmt: skip
    return out


def report(session: Session, *, near: bool = True) -> DedupReport:
    """Current merge groups (kept record first) and, with ``near``, the near-duplicates matching finds."""
    links = current_links(session)
    groups: dict[int, list[int]] = defaultdict(list)
    for dup, kept in sorted(links.items()):
        groups[kept].append(dup)
    pairs = current_plan(session).near if near else []
    ids = set(links) | set(groups) | {m.a for m in pairs} | {m.b for m in pairs}
    lines = _lines(session, ids)
    return DedupReport(
        groups=[[lines[k], *(lines[d] for d in dups)] for k, dups in sorted(groups.items())],
        near=[(m, lines[m.a], lines[m.b]) for m in sorted(pairs, key=lambda m: -m.score)],
    )
