"""The one filter value shared by ``query``, ``export``, review, screening and the browser.

:func:`resolve_filters` turns what a user typed ("pulmonary", "Abraxane", "EMT", "2020-06")
into canonical keys through the vocabulary, and raises :class:`InputError` with "did you
mean ..." for a term it does not know. The resulting :class:`Filters` holds only canonical
values; :mod:`pdacmine.db.conditions` turns it into SQL conditions.
"""

from __future__ import annotations

import calendar
import difflib
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import Vocabulary, default_vocabulary
from pdacmine.miner.rank import STUDY_TYPES
from pdacmine.miner.sources.records import parse_record_key
from pdacmine.models import Finding

STATUSES = ("unreviewed", "accepted", "rejected", "all")
STUDY_ALIASES = {
    "in vitro": "in-vitro", "invitro": "in-vitro", "cell line": "in-vitro", "cell lines": "in-vitro",
    "in vivo": "animal", "mouse": "animal", "mice": "animal", "murine": "animal", "rat": "animal",
    "tissue": "human-tissue", "human tissue": "human-tissue", "patients": "clinical", "patient": "clinical",
    "cohort": "clinical", "trial": "clinical", "reviews": "review",
}  # fmt: skip
_DATE = re.compile(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?$")


@dataclass(frozen=True)
class DateBound:
    """A ``--since``/``--until`` bound: a year, or a day (a month is its first or last day)."""

    year: int
    day: date | None = None

    def __str__(self) -> str:
        return self.day.isoformat() if self.day else str(self.year)


@dataclass(frozen=True)
class Filters:
    """Canonical filter values (resolved keys, not what the user typed)."""

    organs: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    mechanism_keys: tuple[str, ...] = ()
    mechanism_categories: tuple[str, ...] = ()
    therapy_keys: tuple[str, ...] = ()
    therapy_classes: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    since: DateBound | None = None
    until: DateBound | None = None
    study_types: tuple[str, ...] = ()
    min_papers: int | None = None
    status: str | None = None
    text: tuple[str, ...] = ()
    #: What the user typed -> what it resolved to, for a "filters:" line.
    resolved: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def has_evidence_terms(self) -> bool:
        return bool(self.pmids or self.since or self.until or self.study_types or self.text)

    @property
    def has_facets(self) -> bool:
        return bool(
            self.organs or self.stages or self.mechanism_keys or self.mechanism_categories
            or self.therapy_keys or self.therapy_classes or self.min_papers
        )  # fmt: skip

    def describe(self) -> str:
        """One line saying what is filtered, e.g. ``organ=lung; since 2020``."""
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "resolved" or value in ((), None):
                continue
            shown = ",".join(value) if isinstance(value, tuple) else str(value)
            parts.append(f"{f.name}={shown}")
        return "; ".join(parts) or "none"


# --- resolving what the user typed -----------------------------------------------------------------


def parse_date_bound(text: str, option: str, end: bool) -> DateBound:
    """``2020`` -> the year; ``2020-06`` -> its first (``end``: last) day; ``2020-06-15`` -> that day."""
    m = _DATE.match(text.strip())
    if not m:
        raise InputError(f"{option} {text!r} is not a year or a date (use 2020, 2020-06 or 2020-06-15)")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is None:
        return DateBound(year)
    try:
        mon = int(month)
        last = calendar.monthrange(year, mon)[1] if 1 <= mon <= 12 else 0
        d = int(day) if day else (last if end else 1)
        return DateBound(year, date(year, mon, d))
    except ValueError as exc:
        raise InputError(f"{option} {text!r} is not a valid date: {exc}") from exc


def _db_values(session: Session | None, column: Any) -> set[str]:
    """Distinct values of a finding column (taxonomy keys the vocabulary file may lack)."""
    if session is None:
        return set()
    return {v for v in session.scalars(select(column).where(column.is_not(None)).distinct()) if v}


def _unknown(kind: str, text: str, vocab: Vocabulary, facet: str, extra: Iterable[str]) -> InputError:
    hints = vocab.suggest(facet, text) + vocab.suggest_forms(text, [facet])
    hints += difflib.get_close_matches(text.strip().lower(), sorted(set(extra)), n=3, cutoff=0.6)
    unique = list(dict.fromkeys(hints))[:4]
    tip = (
        f"; did you mean {', '.join(unique)}?" if unique else f" (list them with: pdacmine vocab list --facet {facet})"
    )
    return InputError(f"unknown {kind} {text!r}{tip}")


class _Resolver:
    def __init__(self, session: Session | None, vocab: Vocabulary) -> None:
        self.session, self.vocab = session, vocab
        self.resolved: list[tuple[str, str]] = []
        self._db: dict[str, set[str]] = {}

    def db_values(self, column: Any) -> set[str]:
        """:func:`_db_values`, read once per column."""
        name = str(column)
        if name not in self._db:
            self._db[name] = _db_values(self.session, column)
        return self._db[name]

    def split(self, facet: str, terms: Sequence[str]) -> list[str]:
        """Comma-separated lists ("liver,lung") become several terms, unless the vocabulary knows the whole."""
        out: list[str] = []
        for text in terms:
            if "," in text and not self.vocab.lookup(facet, text):
                out += [part.strip() for part in text.split(",") if part.strip()]
            elif text.strip():
                out.append(text.strip())
        return out

    def simple(self, kind: str, facet: str, terms: Sequence[str], column: Any) -> tuple[str, ...]:
        """Organ or stage: a key, name or synonym."""
        taxonomy = set(self.vocab.category_names(facet))
        keys: list[str] = []
        for text in self.split(facet, terms):
            found = [c.key for c in self.vocab.lookup(facet, text)]
            low = text.strip().lower()
            if not found and (low in taxonomy or low in self.db_values(column)):
                found = [low]
            if not found:
                raise _unknown(kind, text, self.vocab, facet, taxonomy | self.db_values(column))
            keys += found
            self.resolved.append((text, ",".join(found)))
        return tuple(dict.fromkeys(keys))

    def grouped(
        self, kind: str, facet: str, terms: Sequence[str], key_col: Any, cat_col: Any
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Mechanism or therapy: a concept (key, name, synonym, symbol) and/or a category/class."""
        cat_names = self.vocab.category_names(facet)
        by_name = {n.lower(): k for k, n in cat_names.items()}
        known_cats = set(cat_names) | self.vocab.categories(facet)
        keys: list[str] = []
        cats: list[str] = []
        for text in self.split(facet, terms):
            low = text.strip().lower()
            found_keys = [c.key for c in self.vocab.lookup(facet, text)]
            if facet == "THERAPY" and found_keys:  # a drug also finds the regimens that contain it
                found_keys += [c.key for c in self.vocab.by_facet(facet) if set(c.components) & set(found_keys)]
            cat = by_name.get(low) or (low if low in known_cats else None)
            if not found_keys and cat is None:
                db_keys, db_cats = self.db_values(key_col), self.db_values(cat_col)
                found_keys = [low] if low in db_keys else []
                cat = low if low in db_cats else None
                if not found_keys and cat is None:
                    raise _unknown(kind, text, self.vocab, facet, known_cats | db_keys | db_cats)
            if cat:  # a concept of the chosen category adds nothing (and one condition is faster)
                found_keys = [k for k in found_keys if getattr(self.vocab.get(facet, k), "category", None) != cat]
            keys += found_keys
            cats += [cat] if cat else []
            shown = [*([f"category {cat}"] if cat else []), *found_keys[:6]]
            self.resolved.append((text, ", ".join(shown) + (", ..." if len(found_keys) > 6 else "")))
        keys = [k for k in keys if getattr(self.vocab.get(facet, k), "category", None) not in cats]
        return tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(cats))


def _study_types(terms: Sequence[str]) -> tuple[str, ...]:
    out = []
    for text in (part for t in terms for part in t.split(",") if part.strip()):
        low = " ".join(text.strip().lower().replace("_", " ").split())
        key = STUDY_ALIASES.get(low, low.replace(" ", "-"))
        if key not in STUDY_TYPES:
            hints = difflib.get_close_matches(key, STUDY_TYPES, n=2, cutoff=0.5)
            tip = f"did you mean {', '.join(hints)}?" if hints else f"use one of {', '.join(STUDY_TYPES)}"
            raise InputError(f"unknown study type {text!r}; {tip}")
        out.append(key)
    return tuple(dict.fromkeys(out))


def _pmids(terms: Sequence[str]) -> tuple[str, ...]:
    """PubMed IDs, or the keys of records without one (``doi:<DOI>``, ``record:<id>``, as query shows them)."""
    out = []
    for text in terms:
        for part in re.split(r"[,\s]+", text.strip()):
            if not part:
                continue
            key = parse_record_key(part)
            if key is None:
                raise InputError(f"--pmid {part!r} is not a PubMed ID (digits), doi:<DOI> or record:<id>")
            out.append(key)
    return tuple(dict.fromkeys(out))


def resolve_filters(
    session: Session | None = None,
    *,
    organ: Sequence[str] = (),
    stage: Sequence[str] = (),
    mechanism: Sequence[str] = (),
    therapy: Sequence[str] = (),
    pmid: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    study_type: Sequence[str] = (),
    min_papers: int | None = None,
    status: str | None = None,
    text: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> Filters:
    """Canonical :class:`Filters` from user input; ``session`` lets keys that only the database knows pass."""
    vocab = vocabulary or default_vocabulary()
    r = _Resolver(session, vocab)
    mech_keys, mech_cats = r.grouped(
        "mechanism", "MECHANISM", mechanism, Finding.mechanism_key, Finding.mechanism_category
    )
    ther_keys, ther_classes = r.grouped("therapy", "THERAPY", therapy, Finding.therapy_key, Finding.therapy_class)
    lo = parse_date_bound(since, "--since", end=False) if since else None
    hi = parse_date_bound(until, "--until", end=True) if until else None
    if lo and hi and (lo.day or date(lo.year, 1, 1)) > (hi.day or date(hi.year, 12, 31)):
        raise InputError(f"--since {lo} is after --until {hi}")
    if min_papers is not None and min_papers < 0:
        raise InputError(f"--min-papers must be 0 or more, not {min_papers}")
    if status is not None and status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    try:
        words = tuple(w for w in shlex.split(text, posix=True) if w.strip()) if text else ()
    except ValueError as exc:
        raise InputError(f"--text {text!r}: {exc} (close the quotes around a phrase)") from exc
    return Filters(
        organs=r.simple("organ", "ORGAN", organ, Finding.organ),
        stages=r.simple("stage", "STAGE", stage, Finding.stage),
        mechanism_keys=mech_keys,
        mechanism_categories=mech_cats,
        therapy_keys=ther_keys,
        therapy_classes=ther_classes,
        pmids=_pmids(pmid),
        since=lo,
        until=hi,
        study_types=_study_types(study_type),
        min_papers=min_papers,
        status=status,
        text=words,
        resolved=tuple(r.resolved),
    )
