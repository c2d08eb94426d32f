"""The review spreadsheet in the database: export rows and the all-or-nothing import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.db.engine import chunked_in
from pdacmine.db.review_decisions import evidence_row, lock_state, write_decision, write_session
from pdacmine.db.review_queue import ReviewItem, machine_slots
from pdacmine.errors import ConflictError
from pdacmine.miner.review import SLOT_FAMILIES, classify
from pdacmine.miner.review_sheet import CORRECTED_COLUMNS, DECISION_CELLS, SheetRow, sheet_target
from pdacmine.models import Evidence


@dataclass
class ImportSummary:
    rows: int = 0
    ignored: int = 0
    unchanged: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    article_ids: set[int] = field(default_factory=set)

    @property
    def applied(self) -> int:
        return sum(self.actions.values())


def sheet_row(item: ReviewItem) -> dict[str, Any]:
    """One export row (see :data:`pdacmine.miner.review_sheet.SHEET_COLUMNS`), corrections prefilled."""
    m, d = item.machine, item.decision

    def corrected(slot: str) -> str:
        key = SLOT_FAMILIES[slot].key
        if key not in d.corrections:
            return ""
        return d.corrections[key] if d.corrections[key] is not None else "none"

    return {
        "evidence_key": item.evidence_key,
        "pmid": item.pmid,
        "year": item.year if item.year is not None else "",
        "sentence": item.sentence,
        "mechanism": m["mechanism_key"] or "",
        "mechanism_category": m["mechanism_category"] or "",
        "stage": m["stage"] or "",
        "organ": m["organ"] or "",
        "therapy": m["therapy_key"] or "",
        "therapy_class": m["therapy_class"] or "",
        "polarity": m["polarity"] or "",
        "negated": "yes" if item.negated else "no",
        "hedged": "yes" if item.hedged else "no",
        "study_type": item.study_type,
        "confidence": f"{item.confidence:.3f}",
        "decision": DECISION_CELLS.get(d.status or "", ""),
        **{column: corrected(slot) for column, slot in CORRECTED_COLUMNS.items()},
        "note": d.note or "",
        "revision": d.revision,
    }


def unknown_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """The keys among ``keys`` that name no evidence row."""
    known: set[str] = set()
    for where in chunked_in(Evidence.evidence_key, keys):
        known.update(session.scalars(select(Evidence.evidence_key).where(where)))
    return set(keys) - known


def apply_sheet(
    engine: Engine,
    rows: Sequence[SheetRow],
    *,
    reviewer: str,
    session_id: str | None,
    dry_run: bool = False,
    force: bool = False,
) -> ImportSummary:
    """Apply validated sheet rows in ONE transaction.

    A stale row (its ``revision`` changed since the export, or it has none while someone has decided the
    item, and it asks for something other than the current decision) raises :class:`ConflictError` naming
    every such row; nothing is applied. ``force`` applies rows without a revision anyway.
    Re-importing an applied file changes nothing. ``dry_run`` computes the summary and rolls back.
    """
    summary = ImportSummary(rows=len(rows))
    wanted = [r for r in rows if not r.empty]
    summary.ignored = len(rows) - len(wanted)
    stale: list[str] = []
    with write_session(engine) as session:
        for row in sorted(wanted, key=lambda r: r.evidence_key):  # one lock order: no deadlocks
            ev = evidence_row(session, row.evidence_key)
            old = lock_state(session, row.evidence_key)
            target = sheet_target(row, old, machine_slots(ev))
            if classify(old, target) is not None and _stale(row.revision, old.revision, force):
                who = old.reviewer or "another reviewer"
                given = "no revision" if row.revision is None else f"revision {row.revision}"
                stale.append(
                    f"line {row.line}: {row.evidence_key[:12]} is now revision {old.revision} by {who}, "
                    f"the row has {given}"
                )
                continue
            outcome = write_decision(
                session, ev, row.evidence_key, old, target, reviewer=reviewer, session_id=session_id
            )
            if outcome.action is None:
                summary.unchanged += 1
            else:
                summary.actions[outcome.action] = summary.actions.get(outcome.action, 0) + 1
                summary.article_ids.add(ev.article_id)
        if stale:
            session.rollback()
            shown = "; ".join(sorted(stale)[:20]) + (f"; and {len(stale) - 20} more" if len(stale) > 20 else "")
            raise ConflictError(
                f"{len(stale)} row(s) were changed by someone else since the export (or give no revision), nothing "
                f"was applied (export again to see their decisions, or --force for rows without a revision): {shown}"
            )
        if dry_run:
            session.rollback()
    return summary


def _stale(given: int | None, current: int, force: bool) -> bool:
    """A row's revision is stale when it differs from the current one; a row without one is stale when
    someone has decided the item (revision > 0), unless forced."""
    if given is None:
        return current > 0 and not force
    return given != current
