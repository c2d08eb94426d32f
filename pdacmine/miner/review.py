"""Review decisions as pure functions: no session, no I/O.

A decision on one evidence tuple is a :class:`DecisionState` (status, corrections, note,
revision). Actions (accept, reject, correct, note, undo) turn one state into the next;
:func:`audit_values` describes a change for the append-only audit trail; corrections are
resolved through the vocabulary (:func:`resolve_correction`, with "did you mean").
The review spreadsheet lives in :mod:`pdacmine.miner.review_sheet`.

Statuses: no row (``None``) and ``unreviewed`` both mean "not decided" (``unreviewed`` keeps a
note or an undone decision without losing the revision counter); ``accepted`` / ``rejected``
are decisions. A correction accepts the corrected tuple unless the tuple was rejected.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pdacmine.errors import InputError
from pdacmine.miner.evidence import CORRECTABLE, effective_slots
from pdacmine.miner.nlp.vocab import Vocabulary

ACCEPTED, REJECTED, UNREVIEWED = "accepted", "rejected", "unreviewed"
DECIDED = (ACCEPTED, REJECTED)
ACTIONS = ("accept", "reject", "correct", "note", "undo")
POLARITIES = ("promotes", "suppresses", "associated")
#: Words that clear a slot when typed as a correction.
NONE_WORDS = frozenset({"none", "-", "(none)", "null"})


@dataclass(frozen=True)
class SlotFamily:
    """A slot a reviewer names, the vocabulary facet it comes from and the columns it sets."""

    name: str
    facet: str | None
    key: str
    category: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.key, self.category) if self.category else (self.key,)


SLOT_FAMILIES: dict[str, SlotFamily] = {
    "mechanism": SlotFamily("mechanism", "MECHANISM", "mechanism_key", "mechanism_category"),
    "stage": SlotFamily("stage", "STAGE", "stage"),
    "organ": SlotFamily("organ", "ORGAN", "organ"),
    "therapy": SlotFamily("therapy", "THERAPY", "therapy_key", "therapy_class"),
    "polarity": SlotFamily("polarity", None, "polarity"),
}


@dataclass(frozen=True)
class DecisionState:
    """The current decision on one evidence key (``status`` None: no decision row yet)."""

    status: str | None = None
    corrections: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    revision: int = 0
    reviewer: str | None = None

    @property
    def decided(self) -> bool:
        return self.status in DECIDED

    def content(self) -> tuple[str | None, tuple[tuple[str, Any], ...], str | None]:
        """What a change compares: status, corrections and note (not who or when)."""
        status = None if self.status == UNREVIEWED else self.status
        return status, tuple(sorted(self.corrections.items())), self.note or None

    def as_audit(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "corrections": dict(self.corrections),
            "note": self.note,
        }


def slot_family(text: str) -> SlotFamily:
    """The slot named by ``text``: a full name (``organ``), its first letter or a column name."""
    word = text.strip().lower()
    for family in SLOT_FAMILIES.values():
        if word in (family.name, family.name[0], *family.columns):
            return family
    raise InputError(f"unknown slot {text!r}; choose one of {', '.join(SLOT_FAMILIES)}")


def resolve_correction(vocab: Vocabulary, slot: str, text: str) -> dict[str, Any]:
    """Corrections that set ``slot`` to the concept named ``text`` (``none`` clears the slot).

    Mechanism category and therapy class follow the concept. Unknown text raises
    :class:`InputError` with close matches ("did you mean ...").
    """
    family = slot_family(slot)
    wanted = text.strip()
    if not wanted:
        raise InputError(f"empty {family.name}: type a {family.name} or 'none' to clear it")
    if wanted.lower() in NONE_WORDS:
        return dict.fromkeys(family.columns)
    if family.facet is None:
        return {family.key: _polarity(wanted)}
    matches = vocab.lookup(family.facet, wanted)
    exact = [c for c in matches if c.key.lower() == wanted.lower()]
    if exact:
        matches = exact
    if len(matches) > 1:
        keys = ", ".join(sorted(c.key for c in matches))
        raise InputError(f"{family.name} {wanted!r} is ambiguous ({keys}); type the key")
    if not matches:
        raise InputError(_unknown_concept(vocab, family, wanted))
    concept = matches[0]
    out: dict[str, Any] = {family.key: concept.key}
    if family.category:
        out[family.category] = concept.category
    return out


def _polarity(text: str) -> str:
    word = text.strip().lower()
    if word in POLARITIES:
        return word
    close = difflib.get_close_matches(word, POLARITIES, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise InputError(f"unknown polarity {text!r}: use {', '.join(POLARITIES)}{hint}")


def _unknown_concept(vocab: Vocabulary, family: SlotFamily, text: str) -> str:
    assert family.facet is not None
    if text.lower() in vocab.categories(family.facet):
        examples = sorted(c.key for c in vocab.by_facet(family.facet) if c.category == text.lower())[:5]
        return f"{text!r} is a {family.name} category, not a concept; name a concept, e.g. {', '.join(examples)}"
    close = vocab.suggest(family.facet, text)
    hint = f"; did you mean {', '.join(close)}?" if close else " (no close match in the vocabulary)"
    return f"unknown {family.name} {text!r}{hint}"


def merge_corrections(
    machine: Mapping[str, Any], current: Mapping[str, Any], change: Mapping[str, Any]
) -> dict[str, Any]:
    """``current`` corrections with ``change`` applied; a correction equal to the machine value is dropped."""
    out = dict(current)
    for slot, value in change.items():
        if slot not in CORRECTABLE:
            raise InputError(f"{slot!r} cannot be corrected; correctable: {', '.join(CORRECTABLE)}")
        if machine.get(slot) == value:
            out.pop(slot, None)
        else:
            out[slot] = value
    return out


def next_state(
    old: DecisionState,
    action: str,
    machine: Mapping[str, Any],
    corrections: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> DecisionState:
    """The state after ``action`` (accept, reject, correct, note); ``note`` replaces the note when given."""
    fixes = merge_corrections(machine, old.corrections, corrections or {})
    new_note = old.note if note is None else (note.strip() or None)
    status: str | None
    if action == "accept":
        status = ACCEPTED
    elif action == "reject":
        status = REJECTED
    elif action == "correct":
        status = old.status if old.decided else ACCEPTED
    elif action == "note":
        status = old.status if old.decided else UNREVIEWED
    else:
        raise InputError(f"unknown review action {action!r}; use accept, reject, correct or note")
    return DecisionState(status, fixes, new_note, old.revision, old.reviewer)


def classify(old: DecisionState, new: DecisionState) -> str | None:
    """The audit action that turns ``old`` into ``new``, or None when nothing changes."""
    if old.content() == new.content():
        return None
    if new.status == REJECTED and old.status != REJECTED:
        return "reject"
    if dict(old.corrections) != dict(new.corrections):
        return "correct"
    if new.status == ACCEPTED and old.status != ACCEPTED:
        return "accept"
    return "note"


def audit_values(
    old: DecisionState, new: DecisionState, machine: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``old``/``new`` documents of an audit row: the decision state plus the effective slots that changed."""
    before = effective_slots(machine, old.corrections)
    after = effective_slots(machine, new.corrections)
    changed = [k for k in CORRECTABLE if before.get(k) != after.get(k)]
    old_doc = {**old.as_audit(), "revision": old.revision}
    new_doc = {**new.as_audit(), "revision": new.revision}
    if changed:
        old_doc["slots"] = {k: before.get(k) for k in changed}
        new_doc["slots"] = {k: after.get(k) for k in changed}
    return old_doc, new_doc


def state_from_audit(doc: Mapping[str, Any], revision: int) -> DecisionState:
    """The decision state recorded in an audit document (used by undo), at ``revision``."""
    return DecisionState(doc.get("status"), dict(doc.get("corrections") or {}), doc.get("note"), revision)


def describe_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """One line for ``review log``: ``status: unreviewed -> accepted; organ: liver -> lung``."""
    parts: list[str] = []
    before, after = old.get("status") or UNREVIEWED, new.get("status") or UNREVIEWED
    if before != after:
        parts.append(f"status: {before} -> {after}")
    slots_old, slots_new = old.get("slots") or {}, new.get("slots") or {}
    for slot in slots_new:
        parts.append(f"{slot}: {slots_old.get(slot) or '-'} -> {slots_new.get(slot) or '-'}")
    if (old.get("note") or None) != (new.get("note") or None):
        parts.append("note changed" if new.get("note") else "note removed")
    return "; ".join(parts) or "no change"
