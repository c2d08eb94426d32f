"""The review spreadsheet (``pdacmine review export`` / ``import``): columns and validation, pure.

:func:`parse_sheet` reads a sheet written by us or re-saved by Excel/LibreOffice (UTF-8 with or
without BOM; comma, semicolon or tab) into :class:`SheetRow` objects and collects EVERY bad row
(line number + reason) instead of stopping at the first, so a reviewer fixes the file in one go.
:func:`sheet_target` turns a row into the decision state it asks for: the row is the decision
(its decision, its corrected_* cells and its note replace the current ones).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from pdacmine.errors import InputError
from pdacmine.miner.export import unguard_cell, write_csv
from pdacmine.miner.nlp.vocab import Vocabulary
from pdacmine.miner.review import (
    ACCEPTED,
    REJECTED,
    SLOT_FAMILIES,
    UNREVIEWED,
    DecisionState,
    merge_corrections,
    resolve_correction,
)

SHEET_COLUMNS = (
    "evidence_key", "pmid", "year", "sentence", "mechanism", "mechanism_category", "stage", "organ",
    "therapy", "therapy_class", "polarity", "negated", "hedged", "study_type", "confidence", "decision",
    "corrected_mechanism", "corrected_stage", "corrected_organ", "corrected_therapy", "note",
    "corrected_polarity", "revision",
)  # fmt: skip
#: Columns an import needs; the rest are context for the reviewer.
REQUIRED_COLUMNS = ("evidence_key", "decision")
CORRECTED_COLUMNS = {f"corrected_{name}": name for name in SLOT_FAMILIES}
DECISION_WORDS = {
    "": None, "accept": ACCEPTED, "accepted": ACCEPTED, "a": ACCEPTED, "yes": ACCEPTED,
    "reject": REJECTED, "rejected": REJECTED, "r": REJECTED, "no": REJECTED,
}  # fmt: skip
#: The decision cell an export writes for a status (the import reads it back through DECISION_WORDS).
DECISION_CELLS = {ACCEPTED: "accept", REJECTED: "reject"}


@dataclass(frozen=True)
class SheetRow:
    """One validated spreadsheet row: the decision the reviewer wrote down."""

    line: int
    evidence_key: str
    status: str | None
    corrections: dict[str, dict[str, Any]]  # slot family -> corrections of that family
    note: str | None
    revision: int | None

    @property
    def empty(self) -> bool:
        return self.status is None and not self.corrections and not self.note


@dataclass
class SheetProblems:
    """Every bad row of a file, by line number."""

    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.errors.append((line, reason))

    def __bool__(self) -> bool:
        return bool(self.errors)


def write_sheet(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write sheet rows (:data:`SHEET_COLUMNS`) as CSV, every text cell guarded against formulas."""
    return write_csv(rows, SHEET_COLUMNS, out)


def sniff_dialect(header: str) -> str:
    """The delimiter of a sheet: comma, or semicolon/tab as Excel writes them in some locales."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def parse_sheet(lines: Iterable[str], vocab: Vocabulary, source: str) -> tuple[list[SheetRow], SheetProblems]:
    """Validated rows of a review sheet and the problems found (all of them, with line numbers).

    Checked here: required columns, decision values, corrected concepts (with did-you-mean),
    revision numbers and duplicate keys. Unknown keys and stale revisions need the database.
    """
    problems = SheetProblems()
    it = iter(lines)
    first = next(it, "")
    reader = csv.DictReader(_chain(first, it), delimiter=sniff_dialect(first))
    columns = [c.strip().lower() for c in reader.fieldnames or ()]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.add(
            1,
            f"missing column(s) {', '.join(missing)} (the header must name evidence_key and decision)",
        )
        return [], problems
    reader.fieldnames = columns
    rows: list[SheetRow] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for raw in _rows(reader, problems):
        row = _parse_row(raw, line, vocab, problems)
        if row is not None:
            if row.evidence_key in seen:
                problems.add(
                    line,
                    f"evidence_key {row.evidence_key} repeats line {seen[row.evidence_key]}",
                )
            else:
                seen[row.evidence_key] = line
                rows.append(row)
        line = reader.line_num + 1
    return rows, problems


def _rows(reader: csv.DictReader[str], problems: SheetProblems) -> Iterator[dict[str, Any]]:
    """The reader's rows; a row the csv module cannot read (a cell over its size limit) ends the file
    with a problem on that line instead of an exception."""
    try:
        yield from reader
    except csv.Error as exc:
        limit = csv.field_size_limit()
        why = f"a cell is longer than {limit:,} characters" if "field larger" in str(exc) else f"not CSV ({exc})"
        problems.add(reader.line_num + 1, why)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _cell(raw: Mapping[str, Any], column: str) -> str:
    value = raw.get(column)
    return value.strip() if isinstance(value, str) else ""


def _parse_row(raw: Mapping[str, Any], line: int, vocab: Vocabulary, problems: SheetProblems) -> SheetRow | None:
    key = _cell(raw, "evidence_key").lower()
    if not key:
        if any(_cell(raw, c) for c in raw if c):
            problems.add(line, "empty evidence_key")
        return None
    before = len(problems.errors)
    word = _cell(raw, "decision").lower()
    if word not in DECISION_WORDS:
        problems.add(line, f"decision {_cell(raw, 'decision')!r} is not accept, reject or empty")
    corrections: dict[str, dict[str, Any]] = {}
    for column, slot in CORRECTED_COLUMNS.items():
        text = _cell(raw, column)
        if text:
            try:
                corrections[slot] = resolve_correction(vocab, slot, text)
            except InputError as exc:
                problems.add(line, f"{column}: {exc}")
    revision: int | None = None
    if _cell(raw, "revision"):
        try:
            number = float(_cell(raw, "revision"))  # spreadsheets may write 2 as 2.0
            if not number.is_integer() or number < 0:
                raise ValueError
            revision = int(number)
        except ValueError:
            problems.add(line, f"revision {_cell(raw, 'revision')!r} is not a whole number")
    if len(problems.errors) > before:
        return SheetRow(line, key, None, {}, None, None)  # still counted for duplicate detection
    note = unguard_cell(_cell(raw, "note")) or None
    return SheetRow(line, key, DECISION_WORDS[word], corrections, note, revision)


def sheet_target(row: SheetRow, old: DecisionState, machine: Mapping[str, Any]) -> DecisionState:
    """The state a sheet row asks for: its decision, its corrections (replacing the four
    sheet slots' corrections; polarity only when given) and its note."""
    fixes = {k: v for k, v in old.corrections.items() if not _sheet_slot(k)}
    change: dict[str, Any] = {}
    for slot_fixes in row.corrections.values():
        change.update(slot_fixes)
    fixes = merge_corrections(machine, fixes, change)
    if "polarity" not in row.corrections and "polarity" in old.corrections:
        fixes["polarity"] = old.corrections["polarity"]
    status = row.status or (old.status if old.decided else (ACCEPTED if fixes else old.status))
    if status is None and row.note:
        status = UNREVIEWED
    return DecisionState(status, fixes, row.note, old.revision, old.reviewer)


def _sheet_slot(column: str) -> bool:
    return any(column in SLOT_FAMILIES[s].columns for s in ("mechanism", "stage", "organ", "therapy"))
