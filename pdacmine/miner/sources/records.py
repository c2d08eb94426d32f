"""The record every source reader returns, and the identifier normalisers shared with deduplication."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from pdacmine.miner.records import ArticleRecord

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)
_PMCID = re.compile(r"^(?:PMC)?(\d{1,10})$", re.IGNORECASE)
_PMID = re.compile(r"^\d{1,10}$")


@dataclass(slots=True)
class SourceRecord:
    """One record read from a file, with where it sits in the file.

    ``article.pmid`` is ``""`` when the source gave no PMID (Embase, Scopus... records);
    :attr:`pmid` says the same as ``None``. ``accession`` is the source database's own id.
    """

    article: ArticleRecord
    position: int
    line: int
    accession: str | None = None
    database: str | None = None  # as the record names it (RIS ``DB`` tag), if it does
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pmid(self) -> str | None:
        return self.article.pmid or None


def normalise_doi(value: str | None) -> str | None:
    """``10.1000/abc`` from ``https://doi.org/10.1000/ABC.``, ``doi: 10.1000/abc [doi]``...; None if not a DOI."""
    if not value:
        return None
    text = html.unescape(value).strip()
    text = re.sub(r"\s*\[doi\]\s*$", "", text, flags=re.IGNORECASE)
    text = _DOI_PREFIX.sub("", text).strip()
    match = _DOI_IN_TEXT.search(text)
    if match is None:
        return None
    return match.group(1).rstrip(".,;)]").lower()


def normalise_pmcid(value: str | None) -> str | None:
    """``PMC1234567`` from ``pmc1234567`` or ``1234567``; None if not a PMCID."""
    if not value:
        return None
    match = _PMCID.match(value.strip())
    return f"PMC{int(match.group(1))}" if match else None


def normalise_pmid(value: str | None) -> str | None:
    """Digits of a PMID (``PMID: 123`` -> ``123``); None if not a PMID."""
    if not value:
        return None
    text = re.sub(r"^\s*(?:PMID|pubmed)\s*[:=]?\s*", "", value.strip(), flags=re.IGNORECASE)
    text = text.removesuffix("[pmid]").strip()
    return str(int(text)) if _PMID.match(text) and int(text) > 0 else None


def record_key(pmid: str | None, doi: str | None, article_id: int) -> str:
    """How evidence names a record: its PMID, else ``doi:<DOI>``, else ``record:<article id>``."""
    if pmid:
        return pmid
    norm = normalise_doi(doi)
    if norm:
        return f"doi:{norm}"[:255]
    return f"record:{article_id}"


def parse_record_key(text: str) -> str | None:
    """The record key a user typed: a PMID, ``doi:<DOI>`` (normalised) or ``record:<id>``; None if none of them."""
    part = text.strip()
    if part.isdigit():
        return part
    if part[:7].lower() == "record:" and part[7:].strip().isdigit():
        return f"record:{int(part[7:])}"
    doi = normalise_doi(part) if part[:4].lower() == "doi:" else None
    return f"doi:{doi}" if doi else None


def record_label(key: str | None) -> str:
    """How a message names a record: ``PMID 123`` for a PMID, else the key itself (``doi:...``, ``record:7``)."""
    if not key:
        return "a record without identifier"
    return f"PMID {key}" if key.isdigit() else key


def year_of(value: str | None) -> int | None:
    """The first plausible four-digit year in ``value`` (``2021/03/04/``, ``2021 Mar``...)."""
    if not value:
        return None
    match = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", value)
    return int(match.group(1)) if match else None


def split_name(name: str) -> dict[str, Any]:
    """An author dict in the articles table's shape from ``Doe, Jane A.`` / ``Doe JA`` / ``Jane Doe``."""
    name = " ".join(name.split())
    last, fore = name, None
    if "," in name:
        last, _, fore = (p.strip() for p in name.partition(","))
    elif re.match(r"^\S+(?: \S+)* [A-Z]{1,3}$", name):  # MEDLINE style "Doe JA"
        last, _, fore = name.rpartition(" ")
    initials = "".join(p[0] for p in re.split(r"[\s.\-]+", fore or "") if p) or None
    return {"last": last, "fore": fore or None, "initials": initials, "collective": None, "affiliations": []}
