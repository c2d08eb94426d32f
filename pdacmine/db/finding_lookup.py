"""One finding by id or key, and its score explained (``rank --explain``, the browser's finding page).

:func:`explain_finding` recomputes a finding's score from its evidence with every paper's factors;
:mod:`pdacmine.db.explain` formats the result. Nothing is written.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from pdacmine.db.finding_members import member_rows, mesh_map, to_member
from pdacmine.errors import InputError
from pdacmine.miner.export import unguard_cell
from pdacmine.miner.rank import Score, Weights, load_weights, score_finding
from pdacmine.models import Evidence, Finding

E = Evidence


@dataclass(frozen=True)
class Explanation:
    """A finding's score recomputed from its evidence, with every paper's factors."""

    finding: Finding
    score: Score
    weights: Weights
    #: PMID -> number of rejected sentences (they count for nothing)
    rejected: dict[str, int]


#: The largest id a finding can have (an integer column on every backend).
MAX_ID = 2**31 - 1


def get_finding(session: Session, ref: str) -> Finding:
    """A finding by id or key (also as a spreadsheet shows it, with a leading apostrophe); :class:`InputError`
    with close keys when there is none."""
    ref = unguard_cell(ref.strip())
    numeric = ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID
    found = session.get(Finding, int(ref)) if numeric else None
    if found is None:
        found = session.scalars(select(Finding).where(Finding.finding_key == ref)).first()
    if found is not None:
        return found
    parts = [p for p in ref.split("|") if p and p != "-"]
    near = select(Finding.finding_key).where(
        or_(*(Finding.finding_key.contains(p) for p in parts)) if parts else false()
    )
    keys = list(session.scalars(near.order_by(Finding.score.desc()).limit(5000)))
    hints = difflib.get_close_matches(ref, keys, n=3, cutoff=0.5)
    tip = f"; did you mean {', '.join(hints)}?" if hints else " (ids and keys are listed by pdacmine query)"
    raise InputError(f"no finding {ref!r}{tip}")


def explain_finding(
    session: Session, finding: Finding, *, weights: Weights | None = None, reference_year: int | None = None
) -> Explanation:
    w = weights or load_weights()
    year = reference_year or (finding.score_detail or {}).get("reference_year") or date.today().year
    conn = session.connection()
    rows = member_rows(conn, E.finding_id == finding.id)
    articles = {r[1] for r in rows}
    # MeSH corroboration of the finding's organ only (the others' headings are not read); should a row's
    # organ differ (corrected since the last ranking), every organ's
    mesh = mesh_map(conn, articles, [finding.organ] if finding.organ else [])
    members = [to_member(r, mesh)[1] for r in rows]
    if any(m.slots[3] != finding.organ for m in members):
        mesh = mesh_map(conn, articles)
        members = [to_member(r, mesh)[1] for r in rows]
    rejected = Counter(m.inp.pmid for m in members if m.inp.status == "rejected")
    score = score_finding([m.inp for m in members], w, int(year), explain=True)
    return Explanation(finding, score, w, dict(sorted(rejected.items())))
