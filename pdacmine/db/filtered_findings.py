"""Findings recomputed over the evidence that passes the article-level filters.

With ``--since/--until``, ``--pmid`` or ``--study-type``, ``query`` and ``export findings`` must
not show a finding's all-time paper counts and score: here every finding that matches the facet
filters is scored again (same weights as the stored ranking) from only the evidence sentences whose
article (date, PMID) and study type pass, in one pass over that evidence. ``--min-papers`` and
``--status`` then test the recomputed counts. ``--text`` stays a selection (findings with a sentence
containing the words), not a restriction: a finding's other sentences are still its evidence.
Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from pdacmine.db.conditions import evidence_restriction, finding_facets
from pdacmine.db.engine import chunked_in
from pdacmine.db.filters import Filters
from pdacmine.db.finding_members import member_select, mesh_map, to_member
from pdacmine.errors import InputError
from pdacmine.miner.rank import Score, load_weights, score_finding
from pdacmine.models import Article, Evidence, Finding

F = Finding
#: Above this many articles the MeSH corroboration map is read in one scan instead of by id.
_MESH_SCAN_ABOVE = 5000
_DETAIL = (F.id, F.finding_key, F.mechanism_key, F.mechanism_category, F.stage, F.organ, F.therapy_key,
           F.therapy_class)  # fmt: skip
Scored = tuple[int, str, Score]  # finding id, finding key, score
SORT_KEYS: dict[str, Callable[[Scored], Any]] = {
    "score": lambda r: (-r[2].score, -r[2].n_papers, r[0]),
    "papers": lambda r: (-r[2].n_papers, -r[2].score, r[0]),
    "evidence": lambda r: (-r[2].n_evidence, -r[2].score, r[0]),
    "year": lambda r: (-(r[2].last_year or 0), -r[2].score, r[0]),
    "contradicting": lambda r: (-r[2].n_contradicting, -r[2].score, r[0]),
    "key": lambda r: (r[1],),
}


def _keeps(s: Score, f: Filters) -> bool:
    """``--min-papers`` and ``--status`` on the recomputed counts (default: not everything rejected)."""
    if f.min_papers and s.n_papers < f.min_papers:
        return False
    if f.status is None:
        return s.n_accepted + s.n_unreviewed > 0
    if f.status in ("accepted", "rejected", "unreviewed"):
        return bool(getattr(s, f"n_{f.status}"))
    return True


def restricts_evidence(f: Filters) -> bool:
    """Whether ``f`` changes which evidence makes a finding's counts and score."""
    return bool(f.since or f.until or f.pmids or f.study_types)


def _with_words(conn: Connection, f: Filters) -> set[int] | None:
    """Findings with a passing sentence that contains every ``--text`` word (None: no --text)."""
    if not f.text:
        return None
    stmt = (
        select(Evidence.finding_id)
        .join(Article, Article.id == Evidence.article_id)
        .where(Evidence.finding_id.is_not(None), *evidence_restriction(f))
    )
    return set(conn.scalars(stmt.distinct()))


def _rescored(conn: Connection, f: Filters) -> Iterator[Scored]:
    """(finding id, key, score over the passing evidence) of every finding with passing evidence."""
    stmt = (
        member_select()
        .add_columns(F.finding_key)
        .join(F, F.id == Evidence.finding_id)
        .where(*evidence_restriction(replace(f, text=())), *finding_facets(f))
        .order_by(Evidence.finding_id)
    )
    selected = _with_words(conn, f)
    rows = [r for r in conn.execute(stmt) if selected is None or r[14] in selected]
    articles = {r[1] for r in rows}
    mesh = mesh_map(conn, None if len(articles) > _MESH_SCAN_ABOVE else articles)
    weights, year = load_weights(), date.today().year
    for fid, group in groupby(rows, key=lambda r: r[14]):
        members = list(group)
        yield fid, members[0][-1], score_finding([to_member(r[:-1], mesh)[1].inp for r in members], weights, year)


def filtered_finding_rows(
    conn: Connection, filters: Filters, *, sort: str = "score", limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Rows like :func:`pdacmine.db.query.finding_rows`, counts and scores over the filtered evidence only."""
    if sort not in SORT_KEYS:
        raise InputError(f"cannot sort findings by {sort!r}; use one of {', '.join(SORT_KEYS)}")
    scored = sorted((r for r in _rescored(conn, filters) if _keeps(r[2], filters)), key=SORT_KEYS[sort])
    page = scored[offset : None if limit is None else offset + limit]
    details: dict[int, Any] = {}
    for where in chunked_in(F.id, [fid for fid, _, _ in page]):
        details.update((r.id, r) for r in conn.execute(select(*_DETAIL).where(where)))
    for rank, (fid, key, s) in enumerate(page, start=offset + 1):
        d = details[fid]
        yield {
            "rank": rank, "finding_id": fid, "finding_key": key, "mechanism": d.mechanism_key,
            "mechanism_category": d.mechanism_category, "stage": d.stage, "organ": d.organ, "therapy": d.therapy_key,
            "therapy_class": d.therapy_class, "direction": s.direction, "score": round(s.score, 4),
            "n_papers": s.n_papers, "n_contradicting": s.n_contradicting, "n_evidence": s.n_evidence,
            "n_accepted": s.n_accepted, "n_rejected": s.n_rejected, "n_unreviewed": s.n_unreviewed,
            "first_year": s.first_year, "last_year": s.last_year, "top_pmids": list(s.top_pmids),
        }  # fmt: skip
