"""``rank --explain`` as data and as text: shared by the CLI and the browser workspace.

Pure formatting of an :class:`~pdacmine.db.finding_lookup.Explanation` (no query runs here).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pdacmine.db.finding_lookup import Explanation
from pdacmine.miner.rank import Weights

EXPLAIN_ROWS = 40
FINDING_FIELDS = (
    "id", "finding_key", "mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class",
)  # fmt: skip


def _weights_line(w: Weights, reference_year: int) -> str:
    studies = ", ".join(f"{k} {v:g}" for k, v in w.study_type.items())
    return (
        f"weights ({w.source} v{w.version}): study type {studies}; hedged x{w.hedged:g}; "
        f"MeSH corroboration +{w.mesh_corroboration:g}; contradiction x{w.contradiction:g}; recency half-life "
        f"{w.half_life_years:g} y, floor {w.recency_floor:g} (reference year {reference_year}); "
        f"retracted x{w.retracted:g}"
    )


def explain_lines(e: Explanation) -> list[str]:
    """``rank --explain`` as text: the formula with this finding's numbers, then one line per paper."""
    f, s = e.finding, e.score
    lines = [
        f"finding {f.id}: {f.finding_key}",
        f"  mechanism {f.mechanism_key or '-'} ({f.mechanism_category or '-'}), stage {f.stage or '-'}, "
        f"organ {f.organ or '-'}, therapy {f.therapy_key or '-'} ({f.therapy_class or '-'})",
        f"  direction {s.direction}",
        f"  score {s.score:.4f} = support {s.support:.4f} - {e.weights.contradiction:g} x contradiction "
        f"{s.contradiction:.4f}",
        f"  {s.n_papers} supporting paper(s), {s.n_contradicting} contradicting; {s.n_evidence} evidence sentence(s): "
        f"{s.n_accepted} accepted, {s.n_rejected} rejected, {s.n_unreviewed} unreviewed",
        "",
        "  paper value = study type x confidence x hedging x recency x MeSH x retraction (best sentence per paper)",
        f"  {'PMID':<10} {'year':>4}  {'side':<10} {'study type':<13} {'study':>5} {'conf':>5} {'hedge':>5} "
        f"{'recency':>7} {'MeSH':>5} {'retr':>5} {'value':>7}",
    ]
    terms = sorted(s.terms, key=lambda t: (t.role != "support", -t.value, t.pmid))
    for t in terms[:EXPLAIN_ROWS]:
        conf = f"{t.confidence:.2f}" + ("*" if t.accepted else " ")
        lines.append(
            f"  {t.pmid:<10} {t.year or '-':>4}  {t.role:<10} {t.study_type:<13} {t.study:>5.2f} {conf:>6}"
            f"{t.hedge:>5.2f} {t.recency:>7.3f} {t.mesh:>5.2f} {t.retraction:>5.2f} {t.value:>7.4f}"
        )
    if len(terms) > EXPLAIN_ROWS:
        lines.append(f"  ... and {len(terms) - EXPLAIN_ROWS} more paper(s) (--format json lists them all)")
    if any(t.accepted for t in terms):
        lines.append("  * accepted by a reviewer: confidence 1, no hedging discount")
    if e.rejected:
        shown = ", ".join(f"{p} ({n})" for p, n in list(e.rejected.items())[:20])
        lines.append(f"  rejected by a reviewer, not counted: {shown}")
    lines += ["", "  " + _weights_line(e.weights, s.reference_year)]
    return lines


def explain_json(e: Explanation) -> dict[str, Any]:
    f = e.finding
    return {
        "finding": {c: getattr(f, c) for c in FINDING_FIELDS},
        "score": {k: v for k, v in asdict(e.score).items() if k != "terms"},
        "papers": [asdict(t) for t in e.score.terms],
        "rejected": e.rejected,
        "weights": e.weights.as_dict(),
    }
