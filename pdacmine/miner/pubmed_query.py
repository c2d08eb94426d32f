"""PubMed query strings: the built-in search, [crdt] date windows, and checks on user-written terms.

This is the one place that builds text sent to ESearch. Dates use PubMed's ``YYYY/MM/DD`` form and
windows are inclusive on both ends (``2024/01/01:2024/01/07[crdt]``), on the Create Date, which
unlike the Entrez Date is never back-dated (see ``ecosystem-conventions.md`` §2.2).
"""

from __future__ import annotations

import re
from datetime import date

from pdacmine.errors import InputError

#: Lower bound of a first run: older than any PubMed record, so "no lower bound" is explicit in the log.
EARLIEST = date(1800, 1, 1)
DATE_FIELD = "crdt"

DEFAULT_QUERY_NAME = "pdac-metastasis"

#: Pancreatic cancer: MeSH (indexed records) + title/abstract free text (records not yet indexed).
PANCREATIC_CANCER_TERMS: tuple[str, ...] = (
    '"Pancreatic Neoplasms"[mh]',
    '"Carcinoma, Pancreatic Ductal"[mh]',
    '"pancreatic cancer*"[tiab]',
    '"pancreatic carcinoma*"[tiab]',
    '"pancreatic adenocarcinoma*"[tiab]',
    '"pancreatic ductal adenocarcinoma*"[tiab]',
    '"pancreatic neoplasm*"[tiab]',
    '"pancreatic tumor*"[tiab]',
    '"pancreatic tumour*"[tiab]',
    "PDAC[tiab]",
)

#: Metastasis: NLM indexes "X metastatic to organ Y" as "Y Neoplasms/secondary", so "secondary"[sh]
#: is needed besides "Neoplasm Metastasis"[mh]; free text catches the cascade steps and CTCs.
METASTASIS_TERMS: tuple[str, ...] = (
    '"Neoplasm Metastasis"[mh]',
    '"secondary"[sh]',
    '"Neoplastic Cells, Circulating"[mh]',
    '"Neoplasm Seeding"[mh]',
    "metasta*[tiab]",
    "micrometasta*[tiab]",
    "oligometasta*[tiab]",
    "premetasta*[tiab]",
    '"pre-metastatic niche*"[tiab]',
    "disseminat*[tiab]",
    "intravasat*[tiab]",
    "extravasat*[tiab]",
    '"circulating tumor cell*"[tiab]',
    '"circulating tumour cell*"[tiab]',
    '"peritoneal carcinomatosis"[tiab]',
)

DEFAULT_QUERY_NOTE = (
    "Built-in sensitive search: pancreatic cancer (MeSH + title/abstract) AND metastasis "
    '(MeSH, "secondary"[sh], CTCs, pre-metastatic niche, dissemination, free text).'
)

_DATE_FORMATS = (
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
)


def any_of(terms: tuple[str, ...] | list[str]) -> str:
    """``(a OR b OR c)``."""
    return "(" + " OR ".join(terms) + ")"


def all_of(*groups: str) -> str:
    """``g1 AND g2``; each group should already be parenthesised."""
    return " AND ".join(groups)


def default_query_term() -> str:
    """The built-in ``pdac-metastasis`` search term (one line, exactly as sent)."""
    return all_of(any_of(PANCREATIC_CANCER_TERMS), any_of(METASTASIS_TERMS))


def format_date(day: date) -> str:
    """``date(2024, 1, 7)`` -> ``"2024/01/07"`` (PubMed's form)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def parse_date(text: str, what: str = "date") -> date:
    """Read ``YYYY/MM/DD`` or ``YYYY-MM-DD``; raise :class:`InputError` naming ``what`` otherwise."""
    cleaned = text.strip()
    for pattern in _DATE_FORMATS:
        match = pattern.match(cleaned)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError as exc:
                raise InputError(f"{what} {text!r} is not a real day: {exc}") from exc
    raise InputError(f"{what} {text!r} is not a date; write it as YYYY/MM/DD, e.g. 2024/01/31")


def date_clause(mindate: date, maxdate: date, field: str = DATE_FIELD) -> str:
    """``2024/01/01:2024/01/07[crdt]`` (both ends included)."""
    if mindate > maxdate:
        raise InputError(f"date window starts after it ends: {format_date(mindate)} > {format_date(maxdate)}")
    return f"{format_date(mindate)}:{format_date(maxdate)}[{field}]"


def windowed_term(term: str, mindate: date, maxdate: date, field: str = DATE_FIELD) -> str:
    """``(term) AND 2024/01/01:2024/01/07[crdt]``: the text sent to ESearch for one window."""
    return all_of(f"({term.strip()})", date_clause(mindate, maxdate, field))


def check_term(term: str) -> str:
    """Return ``term`` stripped, or raise :class:`InputError` when PubMed could not read it.

    Checks what silently changes a search's meaning: empty text, unbalanced quotes or parentheses.
    """
    cleaned = " ".join(term.split())
    if not cleaned:
        raise InputError("the search term is empty")
    if cleaned.count('"') % 2:
        raise InputError(f"the search term has an unclosed double quote: {_clip(cleaned)}")
    depth = 0
    in_quote = False
    for pos, char in enumerate(cleaned):
        if char == '"':
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"the search term closes a parenthesis it never opened at character {pos + 1}")
    if depth:
        raise InputError(f"the search term leaves {depth} parenthesis(es) open: {_clip(cleaned)}")
    return cleaned


def check_query_name(name: str) -> str:
    """Saved-query names are short slugs (letters, digits, ``-``, ``_``, ``.``) usable on a command line."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise InputError(
            f"query name {name!r} is not valid: use 1-100 letters, digits, '-', '_' or '.', e.g. pdac-liver"
        )
    return name


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
