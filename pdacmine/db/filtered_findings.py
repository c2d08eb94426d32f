"""Findings recomputed over the evidence that passes the article-level filters.

With ``--since/--until``, ``--pmid``, ``--study-type`` or ``--text``, ``query`` and ``export
findings`` must not show a finding's all-time paper counts and score: here each candidate
finding is scored again (same weights and reference year as the stored ranking) from only the
evidence sentences whose article and sentence pass those filters. ``--min-papers`` and
``--status`` then test the recomputed counts. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from pdacmine.db.engine import chunked_in
from pdacmine.db.filters import Filters, apply_findings, evidence_restriction
from pdacmine.db.findings import _member, _mesh_map, _select
from pdacmine.errors import InputError
from pdacmine.miner.rank import load_weights, score_finding
from pdacmine.models import Evidence, Finding

F = Finding
_CANDIDATE_COLUMNS = (F.id, F.finding_key, F.mechanism_key, F.mechanism_category, F.stage, F.organ, F.therapy_key,
                      F.therapy_class, F.score_detail)  # fmt: skip
SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "score": lambda r: (-r["score"], -r["n_papers"], r["finding_id"]),
    "papers": lambda r: (-r["n_papers"], -r["score"], r["finding_id"]),
    "evidence": lambda r: (-r["n_evidence"], -r["score"], r["finding_id"]),
    "year": lambda r: (-(r["last_year"] or 0), -r["score"], r["finding_id"]),
    "contradicting": lambda r: (-r["n_contradicting"], -r["score"], r["finding_id"]),
    "key": lambda r: (r["finding_key"],),
}


def _keeps(row: dict[str, Any], f: Filters) -> bool:
    """``--min-papers`` and ``--status`` on the recomputed counts (default: not everything rejected)."""
    if f.min_papers and row["n_papers"] < f.min_papers:
        return False
    if row["n_evidence"] == 0:
        return False
    if f.status is None:
        return row["n_accepted"] + row["n_unreviewed"] > 0
    if f.status in ("accepted", "rejected", "unreviewed"):
        return bool(row[f"n_{f.status}"])
    return True


def _rescored(conn: Connection, f: Filters, candidates: dict[int, Any]) -> Iterator[dict[str, Any]]:
    weights = load_weights()
    this_year = date.today().year
    for where in chunked_in(Evidence.finding_id, candidates):
        rows = conn.execute(_select().where(where, *evidence_restriction(f)).order_by(Evidence.finding_id)).all()
        mesh = _mesh_map(conn, {r[1] for r in rows})
        for fid, group in groupby(rows, key=lambda r: r[14]):
            c = candidates[fid]
            detail = c.score_detail or {}
            score = score_finding([_member(r, mesh)[1].inp for r in group], weights,
                                  int(detail.get("reference_year") or this_year))  # fmt: skip
            yield {
                "finding_id": fid, "finding_key": c.finding_key, "mechanism": c.mechanism_key,
                "mechanism_category": c.mechanism_category, "stage": c.stage, "organ": c.organ,
                "therapy": c.therapy_key, "therapy_class": c.therapy_class, "direction": score.direction,
                "score": round(score.score, 4), "n_papers": score.n_papers, "n_contradicting": score.n_contradicting,
                "n_evidence": score.n_evidence, "n_accepted": score.n_accepted, "n_rejected": score.n_rejected,
                "n_unreviewed": score.n_unreviewed, "first_year": score.first_year, "last_year": score.last_year,
                "top_pmids": list(score.top_pmids),
            }  # fmt: skip


def filtered_finding_rows(
    conn: Connection, filters: Filters, *, sort: str = "score", limit: int | None = None, offset: int = 0
) -> Iterator[dict[str, Any]]:
    """Rows like :func:`pdacmine.db.exports.finding_rows`, counts and scores over the filtered evidence only."""
    if sort not in SORT_KEYS:
        raise InputError(f"cannot sort findings by {sort!r}; use one of {', '.join(SORT_KEYS)}")
    selection = Filters(**{**{k: getattr(filters, k) for k in filters.__dataclass_fields__}, "min_papers": None,
                           "status": "all"})  # fmt: skip
    candidates = {r.id: r for r in conn.execute(apply_findings(select(*_CANDIDATE_COLUMNS), selection))}
    rows = sorted((r for r in _rescored(conn, filters, candidates) if _keeps(r, filters)), key=SORT_KEYS[sort])
    end = None if limit is None else offset + limit
    for rank, row in enumerate(rows[offset:end], start=offset + 1):
        yield {"rank": rank, **row}
