"""Record-level title/abstract screening, pure: decisions, exclusion reasons, the final decision of a
record under single or dual screening, screening orders, and decision files read back from pdacmine's
own sheet, ASReview LAB and Rayyan.

Rules:

- A reviewer decides ``include``, ``exclude`` (with a reason from :func:`load_reasons`) or ``maybe``.
- A record needs ``required`` reviewers (1, or 2 for dual screening). Until that many decided it is
  ``in-progress``; then agreement is the final decision and disagreement a ``conflict`` that a third
  reviewer resolves. A resolution always wins.
- ``maybe`` is a decision but not a final one: it stays awaiting screening (PRISMA counts it so).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pdacmine.config import user_file
from pdacmine.errors import InputError

INCLUDE, EXCLUDE, MAYBE = "include", "exclude", "maybe"
DECISIONS = (INCLUDE, EXCLUDE, MAYBE)
#: Final states of a record (the first three are decisions, the rest are "awaiting screening").
CONFLICT, IN_PROGRESS, UNSCREENED = "conflict", "in-progress", "unscreened"
FINAL_STATES = (INCLUDE, EXCLUDE, MAYBE, CONFLICT, IN_PROGRESS, UNSCREENED)
DECISION_WORDS = {
    "include": INCLUDE, "included": INCLUDE, "i": INCLUDE, "yes": INCLUDE, "1": INCLUDE,
    "exclude": EXCLUDE, "excluded": EXCLUDE, "e": EXCLUDE, "x": EXCLUDE, "no": EXCLUDE, "0": EXCLUDE,
    "maybe": MAYBE, "m": MAYBE, "unsure": MAYBE, "?": MAYBE,
}  # fmt: skip
#: Confidence from which an evidence sentence counts as "high confidence" for the evidence order.
HIGH_CONFIDENCE = 0.7
ORDERS = {
    "evidence": (
        "pdacmine evidence first: records with evidence accepted by a reviewer, then records whose best "
        f"extracted evidence has confidence >= {HIGH_CONFIDENCE}, then other records with evidence, then "
        "records without evidence; within each group by best confidence, then PMID"
    ),
    "pmid": "by PMID, ascending (no prioritisation)",
    "year": "newest publication year first, then PMID (no relevance prioritisation)",
    "file": "decisions imported from a file: the order was set by the tool that made them (e.g. ASReview)",
}
SHEET_COLUMNS = ("pmid", "doi", "year", "title", "journal", "abstract", "n_evidence", "decision", "reason", "note")
FORMATS = ("auto", "pdacmine", "asreview", "rayyan")
ASREVIEW_LABELS = ("included", "label_included", "asreview_label")


# --- exclusion reasons --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    key: str
    description: str


@dataclass(frozen=True)
class ReasonList:
    """The configured exclusion reasons; :meth:`resolve` accepts a key, a number or a description."""

    reasons: tuple[Reason, ...]
    source: str

    def keys(self) -> list[str]:
        return [r.key for r in self.reasons]

    def resolve(self, text: str) -> str:
        t = text.strip().lower()
        if t.isdigit() and 1 <= int(t) <= len(self.reasons):
            return self.reasons[int(t) - 1].key
        for r in self.reasons:
            if t in (r.key.lower(), r.description.lower()):
                return r.key
        raise InputError(f"unknown exclusion reason {text!r}; use one of {', '.join(self.keys())} (from {self.source})")


def reasons_path() -> Path:
    """The user's exclusion-reason file (``PDACMINE_EXCLUSION_REASONS`` overrides); it replaces the built-in list."""
    return user_file("PDACMINE_EXCLUSION_REASONS", "exclusion_reasons.tsv")


def parse_reasons(text: str, source: str) -> ReasonList:
    reasons: list[Reason] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, description = line.partition("\t")
        key = key.strip()
        if not re.fullmatch(r"[A-Za-z0-9][\w\- ]*", key) or len(key) > 100:
            raise InputError(f"{source}, line {n}: bad exclusion reason key {key!r} (letters, digits, - and _)")
        reasons.append(Reason(key, description.strip() or key))
    if not reasons:
        raise InputError(f"{source}: no exclusion reasons (one 'key<TAB>description' a line)")
    return ReasonList(tuple(reasons), source)


def load_reasons(path: Path | None = None) -> ReasonList:
    """The user's list when the file exists, else the built-in ``miner/data/exclusion_reasons.tsv``."""
    user = path if path is not None else reasons_path()
    if user.exists():
        try:
            return parse_reasons(user.read_text(encoding="utf-8-sig"), str(user))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read exclusion reasons {user}: {exc}") from exc
    builtin = resources.files("pdacmine.miner") / "data" / "exclusion_reasons.tsv"
    return parse_reasons(builtin.read_text(encoding="utf-8"), "built-in exclusion reasons")


# --- final decision of a record -----------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: str
    reason: str | None = None


@dataclass(frozen=True)
class Final:
    status: str  # one of FINAL_STATES
    reason: str | None = None
    resolved: bool = False


def final_decision(votes: Sequence[Vote], resolution: Vote | None, required: int) -> Final:
    """Where a record stands (see the module docstring). Agreeing excludes with different reasons keep
    the reason most reviewers gave (ties: alphabetical first)."""
    if resolution is not None:
        return Final(resolution.decision, resolution.reason, resolved=True)
    if not votes:
        return Final(UNSCREENED)
    if len(votes) < required:
        return Final(IN_PROGRESS)
    decisions = {v.decision for v in votes}
    if len(decisions) > 1:
        return Final(CONFLICT)
    decision = decisions.pop()
    reasons = sorted(v.reason for v in votes if v.reason)
    reason = max(sorted(set(reasons)), key=reasons.count) if reasons else None
    return Final(decision, reason if decision == EXCLUDE else None)


def evidence_priority(n_accepted: int, best_confidence: float | None) -> int:
    """Group of a record in the ``evidence`` order: 0 accepted evidence, 1 high confidence, 2 other evidence,
    3 no evidence."""
    if n_accepted > 0:
        return 0
    if best_confidence is None:
        return 3
    return 1 if best_confidence >= HIGH_CONFIDENCE else 2


# --- decision files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRef:
    """How a file row names its record: a PMID, else a DOI, else pdacmine's ``record:<id>``, else a title."""

    pmid: str | None = None
    doi: str | None = None
    record_id: int | None = None
    title: str | None = None

    def __bool__(self) -> bool:
        return bool(self.pmid or self.doi or self.record_id or self.title)

    @property
    def key(self) -> str:
        """One string per record (for repeats): ``123``, ``doi:10...``, ``record:7`` or ``title:...``."""
        if self.pmid:
            return self.pmid
        if self.doi:
            return f"doi:{self.doi}"
        if self.record_id:
            return f"record:{self.record_id}"
        return f"title:{normalise_title(self.title or '')}"

    @property
    def record(self) -> str:
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.doi:
            return f"DOI {self.doi}"
        if self.record_id:
            return f"record:{self.record_id}"
        return f"title {(self.title or '')[:60]!r}"


@dataclass(frozen=True)
class FileDecision:
    """One decision read from a file; the record is named by :class:`RecordRef`."""

    line: int
    ref: RecordRef
    decision: str
    reason: str | None
    note: str | None
    reviewer: str | None  # Rayyan names its reviewers; other formats use --reviewer

    @property
    def pmid(self) -> str | None:
        return self.ref.pmid

    @property
    def doi(self) -> str | None:
        return self.ref.doi

    @property
    def record(self) -> str:
        return self.ref.record


@dataclass
class Problems:
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.errors.append((line, reason))

    def __bool__(self) -> bool:
        return bool(self.errors)


def normalise_doi(text: str | None) -> str | None:
    if not text:
        return None
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", text.strip(), flags=re.I).strip().lower()
    return doi or None


def normalise_title(text: str) -> str:
    """Lower-case letters and digits only: titles that differ in case, punctuation or spacing compare equal."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


_RECORD = re.compile(r"^record:\s*(\d{1,12})$", re.IGNORECASE)


def _pmid(text: str) -> str | None:
    t = text.strip()
    t = re.sub(r"^(pmid:?\s*|https?://pubmed\.ncbi\.nlm\.nih\.gov/)", "", t, flags=re.I).strip("/ ")
    if t.endswith(".0") and t[:-2].isdigit():  # spreadsheets turn 12345 into 12345.0
        t = t[:-2]
    return t or None


def _sniff(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def detect_format(columns: Sequence[str]) -> str:
    cols = set(columns)
    if "decision" in cols:
        return "pdacmine"
    if cols & set(ASREVIEW_LABELS):
        return "asreview"
    if "notes" in cols and ("key" in cols or "pmid" in cols):
        return "rayyan"
    return "unknown"


_RAYYAN_VOTE = re.compile(r'"([^"]+)"\s*=>\s*"([^"]+)"')
_RAYYAN_WORDS = {"included": INCLUDE, "excluded": EXCLUDE, "maybe": MAYBE}


def rayyan_votes(notes: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(reviewer, decision word) pairs and exclusion reasons from a Rayyan ``notes`` cell."""
    votes: list[tuple[str, str]] = []
    reasons: list[str] = []
    for part in notes.split("|"):
        head, _, body = part.strip().partition(":")
        if head.strip().upper() == "RAYYAN-INCLUSION":
            votes.extend(_RAYYAN_VOTE.findall(body))
        elif head.strip().upper() == "RAYYAN-EXCLUSION-REASONS":
            reasons.extend(r.strip() for r in body.split(",") if r.strip())
    return votes, reasons


@dataclass
class _Reader:
    reasons: ReasonList
    problems: Problems
    rows: list[FileDecision] = field(default_factory=list)

    def ids(self, raw: Mapping[str, str], line: int, id_columns: Sequence[str], *, by_title: bool = False) -> RecordRef:
        """The record a row names: a PMID in ``id_columns`` (or pdacmine's ``doi:...`` / ``record:<id>`` key
        there), else the doi column, else (``by_title``: ASReview and Rayyan files) the title."""
        pmid = next((_pmid(raw[c]) for c in id_columns if (raw.get(c) or "").strip()), None)
        doi = normalise_doi(raw.get("doi"))
        record_id = None
        if pmid is not None and not pmid.isdigit():
            if pmid.lower().startswith("doi:") and normalise_doi(pmid):
                pmid, doi = None, normalise_doi(pmid)
            elif (match := _RECORD.match(pmid)) is not None:
                pmid, record_id = None, int(match.group(1))
            else:
                self.problems.add(line, f"{pmid!r} is not a PMID")
                return RecordRef()
        title = (raw.get("title") or "").strip() if by_title else ""
        ref = RecordRef(pmid, doi, record_id, title if title and not (pmid or doi or record_id) else None)
        if not ref:
            named = " or ".join([*id_columns, "doi", *(["title"] if by_title else [])])
            self.problems.add(line, f"no record ID (a {named} column value)")
        return ref

    def reason(self, text: str, line: int) -> str | None:
        try:
            return self.reasons.resolve(text)
        except InputError as exc:
            self.problems.add(line, str(exc))
            return None

    def pdacmine(self, raw: Mapping[str, str], line: int) -> None:
        word = (raw.get("decision") or "").strip().lower()
        if not word:
            return
        decision = DECISION_WORDS.get(word)
        if decision is None:
            self.problems.add(line, f"unknown decision {word!r}; use include, exclude or maybe")
            return
        reason_text = (raw.get("reason") or "").strip()
        reason = self.reason(reason_text, line) if reason_text else None
        if decision == EXCLUDE and not reason_text:
            self.problems.add(line, f"exclude needs a reason: {', '.join(self.reasons.keys())}")
        ref = self.ids(raw, line, ("pmid",))
        if ref and (reason or decision != EXCLUDE):
            self.rows.append(FileDecision(line, ref, decision, reason, (raw.get("note") or "").strip() or None, None))

    def asreview(self, raw: Mapping[str, str], line: int) -> None:
        label_col = next(c for c in ASREVIEW_LABELS if c in raw)
        value = (raw.get(label_col) or "").strip()
        if value in ("", "-1", "nan", "NA"):
            return  # not seen / not labelled
        decision = {"1": INCLUDE, "1.0": INCLUDE, "0": EXCLUDE, "0.0": EXCLUDE}.get(value)
        if decision is None:
            self.problems.add(line, f"unknown {label_col} label {value!r}; ASReview labels are 1, 0 or empty")
            return
        ref = self.ids(raw, line, ("pmid", "pubmed_id", "accession_number"), by_title=True)
        if ref:
            self.rows.append(FileDecision(line, ref, decision, None, None, None))

    def rayyan(self, raw: Mapping[str, str], line: int) -> None:
        votes, reason_texts = rayyan_votes(raw.get("notes") or "")
        if not votes:
            return
        reason = self.reason(reason_texts[0], line) if reason_texts else None
        ref = self.ids(raw, line, ("pmid", "key"), by_title=True)
        for reviewer, word in votes:
            if reviewer.strip().lower() == "pdacmine":
                continue  # our own exported decision coming back, not a Rayyan reviewer's
            decision = _RAYYAN_WORDS.get(word.strip().lower())
            if decision is None:
                self.problems.add(line, f"unknown Rayyan decision {word!r} of {reviewer}")
            elif ref:
                self.rows.append(FileDecision(line, ref, decision, reason if decision == EXCLUDE else None,
                                              None, reviewer.strip()))  # fmt: skip


def parse_decisions(
    lines: Iterable[str], reasons: ReasonList, fmt: str = "auto"
) -> tuple[list[FileDecision], Problems, str]:
    """Decisions of a pdacmine screening sheet, an ASReview LAB export (``included`` / ``label_included``
    1 or 0) or a Rayyan ``articles.csv`` (``RAYYAN-INCLUSION`` in ``notes``), with EVERY bad row listed.
    Returns (rows, problems, the format read)."""
    problems = Problems()
    it = iter(lines)
    first = next(it, "")
    reader = csv.DictReader(_chain(first, it), delimiter=_sniff(first))
    columns = [c.strip().lower().lstrip("\ufeff") for c in reader.fieldnames or ()]
    reader.fieldnames = columns
    kind = detect_format(columns) if fmt == "auto" else fmt
    needs = {"pdacmine": {"decision"}, "asreview": set(ASREVIEW_LABELS), "rayyan": {"notes"}}.get(kind)
    if needs is None or not (needs & set(columns)) or kind not in FORMATS:
        problems.add(1, "cannot tell the format: expected a 'decision' column (pdacmine), 'included' or "
                        "'label_included' (ASReview) or 'notes' with RAYYAN-INCLUSION (Rayyan)")  # fmt: skip
        return [], problems, kind
    read = _Reader(reasons, problems)
    handler = {"pdacmine": read.pdacmine, "asreview": read.asreview, "rayyan": read.rayyan}[kind]
    line = reader.line_num + 1
    try:
        for raw in reader:
            handler({k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}, line)
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.add(line, f"not readable as CSV: {exc}")
    seen: dict[tuple[str, str | None], int] = {}
    for row in read.rows:
        key = (row.ref.key, row.reviewer)
        if key in seen:
            problems.add(row.line, f"{row.record} repeats line {seen[key]}")
        seen.setdefault(key, row.line)
    return read.rows, problems, kind


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
