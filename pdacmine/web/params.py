"""Query parameters -> the CLI's filters: the same names (``organ``, ``stage``, ``mechanism``...),
the same resolver (synonyms, "did you mean"), the same one-line errors.

A value is given once per parameter (``?organ=liver&organ=lung``) or comma-separated, as on the
command line. Every view keeps its state in the address, so links carry :func:`filter_items`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from pdacmine.db.filters import STATUSES, Filters, resolve_filters
from pdacmine.errors import InputError

MULTI = ("organ", "stage", "mechanism", "therapy", "pmid", "study_type")
SINGLE = ("since", "until", "min_papers", "status", "text")
FILTER_PARAMS = (*MULTI, *SINGLE)
#: What the filter form shows: parameter, label, placeholder.
FORM_FIELDS = (
    ("organ", "Organ", "liver, pulmonary"),
    ("stage", "Stage", "colonization"),
    ("mechanism", "Mechanism", "ZEB1, emt-plasticity"),
    ("therapy", "Therapy", "Abraxane, chemotherapy"),
    ("since", "Since", "2018"),
    ("until", "Until", "2024-06"),
    ("study_type", "Study type", "clinical, animal"),
    ("min_papers", "Min. papers", "3"),
    ("text", "Words", '"liver metastasis"'),
)


@dataclass(frozen=True)
class FilterState:
    """The raw parameters (to refill the form and build links) and what they resolved to."""

    raw: dict[str, list[str]]
    filters: Filters

    def first(self, name: str) -> str:
        return ", ".join(self.raw.get(name, []))

    def items(self, **override: str | None) -> list[tuple[str, str]]:
        """The filter parameters as (name, value) pairs, ``override`` replacing (None: dropping) some."""
        out = [(k, v) for k, values in self.raw.items() if k not in override for v in values]
        out += [(k, v) for k, v in override.items() if v is not None]
        return out

    def query(self, **override: str | None) -> str:
        """``a=b&c=d`` for a link that keeps these filters."""
        return urlencode(self.items(**override))


def _int(value: str, option: str, low: int = 0) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise InputError(f"{option} {value!r} is not a whole number") from None
    if number < low:
        raise InputError(f"{option} must be {low} or more, not {number}")
    return number


def raw_filters(params: QueryParams) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for name in FILTER_PARAMS:
        values = [v.strip() for v in params.getlist(name) if v.strip()]
        if values:
            raw[name] = values if name in MULTI else values[-1:]
    return raw


def filter_state(session: Session, params: QueryParams) -> FilterState:
    """Resolve the filter parameters like ``query`` does; an unknown term raises :class:`InputError`."""
    raw = raw_filters(params)

    def one(name: str) -> str | None:
        return raw[name][0] if name in raw else None

    status = one("status")
    if status is not None and status not in STATUSES:
        raise InputError(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    min_papers = one("min_papers")
    filters = resolve_filters(
        session,
        organ=raw.get("organ", ()),
        stage=raw.get("stage", ()),
        mechanism=raw.get("mechanism", ()),
        therapy=raw.get("therapy", ()),
        pmid=raw.get("pmid", ()),
        study_type=raw.get("study_type", ()),
        since=one("since"),
        until=one("until"),
        min_papers=_int(min_papers, "--min-papers") if min_papers is not None else None,
        status=status,
        text=one("text"),
    )
    return FilterState(raw, filters)


def int_param(params: QueryParams, name: str, default: int, low: int = 0, high: int | None = None) -> int:
    """A whole-number parameter (``page``, ``per``): a bad value is an :class:`InputError` (400)."""
    value = params.get(name)
    if value is None or not value.strip():
        return default
    number = _int(value, name, low)
    return min(number, high) if high is not None else number


def choice_param(params: QueryParams, name: str, choices: Sequence[str], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value
