"""Human review in the database, by concern (this module only re-exports them for older imports):

- :mod:`pdacmine.db.review_queue`: the items a reviewer sees, in ranked order, and the counts;
- :mod:`pdacmine.db.review_decisions`: decide / undo under concurrency control, with one audit row each;
- :mod:`pdacmine.db.review_audit`: the audit trail read back (``review log``);
- :mod:`pdacmine.db.review_sheet`: the review spreadsheet's export rows and all-or-nothing import.

New code imports from those modules directly.
"""

from __future__ import annotations

from pdacmine.db.review_audit import AuditEntry, audit_log
from pdacmine.db.review_decisions import (
    Outcome,
    decide,
    decision_state,
    evidence_row,
    lock_state,
    refresh_rankings,
    undo_last,
    write_decision,
    write_session,
)
from pdacmine.db.review_queue import BATCH, ReviewItem, iter_items, load_item, machine_slots, queue, review_counts

__all__ = [
    "BATCH",
    "AuditEntry",
    "Outcome",
    "ReviewItem",
    "audit_log",
    "decide",
    "decision_state",
    "evidence_row",
    "iter_items",
    "load_item",
    "lock_state",
    "machine_slots",
    "queue",
    "refresh_rankings",
    "review_counts",
    "undo_last",
    "write_decision",
    "write_session",
]
