"""One small pure function per PubMed XML field (PubmedArticle and PubmedBookArticle elements).

Every function takes an lxml element and returns plain Python values; nothing here reads
files or touches a database. Text keeps inline markup (``<i>``, ``<sup>``, MathML...) as its
text content, all Unicode intact; runs of ASCII whitespace are collapsed to one space.

Speed: a baseline file has ~30,000 records of ~100 elements each, so these functions visit each
child once (``for child in el`` with a tag test) instead of one ``find`` per field, read a leaf's
``.text`` directly and keep regular expressions off the common path. The readers of the big lists
(authors, MeSH headings, chemicals, keywords) and of the abstract have C twins in
:mod:`pdacmine.miner._cfields`, an optional extension built at install time; when it is there they
are used (about 3x faster, same results), and the Python code here is the fallback.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeAlias, TypeVar

from lxml import etree

try:  # the optional C extension (setup.py); pure Python below when it was not built
    from pdacmine.miner import _cfields as _c
except ImportError:  # pragma: no cover - depends on the install
    _c = None  # type: ignore[assignment]

Element: TypeAlias = etree._Element
_In = TypeVar("_In")
_Out = TypeVar("_Out")


def _with_c_twin(pure: Callable[[_In], _Out]) -> Callable[[_In], _Out]:
    """``pure`` (``_name``), answered by its C twin ``_cfields.name`` when that is built and does not decline."""
    name = pure.__name__.removeprefix("_")

    @functools.wraps(pure)
    def read(arg: _In) -> _Out:
        if _c is not None:
            found = getattr(_c, name)(arg)
            if found is not None:
                return found
        return pure(arg)

    read.__name__ = read.__qualname__ = name
    return read


_WS = re.compile(r"[ \t\r\n]+")
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_TOKEN = re.compile(r"[A-Za-z]+|\d+")

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
#: A season stands for the first month of that (northern) season.
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

RETRACTED_PUBLICATION_UI = "D016441"
_DATE_CACHE_SIZE = 4096


def text_of(el: Element | None) -> str:
    """All text inside ``el`` (markup dropped, content kept), whitespace collapsed."""
    if el is None:
        return ""
    value = _mixed_text(el) if len(el) else el.text
    if not value:
        return ""
    if "\n" in value or "  " in value or "\t" in value or "\r" in value:
        value = _WS.sub(" ", value)
    return value.strip()


def _mixed_text(el: Element) -> str:
    """Text of an element with children; one level of inline markup (``<i>``, ``<sup>``) without ``itertext``."""
    parts = [el.text or ""]
    for child in el:
        if len(child) or child.tag.__class__ is not str:  # nested markup, an entity: the general way
            return "".join(el.itertext())
        parts.append(child.text or "")
        parts.append(child.tail or "")
    return "".join(parts)


def opt_text(el: Element | None) -> str | None:
    """Like :func:`text_of` but None for a missing or empty element."""
    return text_of(el) or None


def children(el: Element | None) -> dict[str, Element]:
    """``tag -> first child with that tag``, for the small containers read field by field."""
    if el is None:
        return {}
    return {child.tag: child for child in el.iterchildren(reversed=True)}


# ---------------------------------------------------------------- abstract


def _abstract(container: Element | None) -> tuple[str, list[dict[str, Any]]]:
    """The abstract as ``LABEL: text`` paragraphs joined by newlines, plus its sections.

    ``container`` is an ``Abstract`` element (or None). Unlabelled paragraphs carry no prefix.
    """
    if container is None:
        return "", []
    paragraphs: list[str] = []
    sections: list[dict[str, Any]] = []
    for part in container:
        if part.tag != "AbstractText":
            continue
        body = text_of(part)
        label = (part.get("Label") or "").strip() or None
        category = (part.get("NlmCategory") or "").strip() or None
        if not body and not label:
            continue
        sections.append({"label": label, "category": category, "text": body})
        paragraphs.append(f"{label}: {body}" if label else body)
    return "\n".join(paragraphs), sections


# ---------------------------------------------------------------- dates


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    if not 1 <= year <= 9999:
        return None
    month = month if month and 1 <= month <= 12 else 1
    if day and 1 <= day <= 31:
        try:
            return date(year, month, day)
        except ValueError:
            pass
    return date(year, month, 1)


def _month(token: str) -> int | None:
    if token.isdigit():
        value = int(token)
        return value if 1 <= value <= 12 else None
    return MONTHS.get(token[:3].lower())


def _month_day(tokens: list[str]) -> tuple[int | None, int | None]:
    """Month (or season) and day at the start of ``tokens``: ["Dec", "23", ...] -> (12, 23)."""
    if not tokens:
        return None, None
    head = tokens[0].lower()
    if head in SEASONS:
        return SEASONS[head], None
    if head.isdigit() or head[:3] not in MONTHS:
        return None, None
    day = tokens[1] if len(tokens) > 1 else ""
    return MONTHS[head[:3]], int(day) if day.isdigit() and len(day) <= 2 else None


def parse_free_date(raw: str) -> tuple[int | None, date | None]:
    """Year and earliest date of a free-text PubMed date (``MedlineDate`` and friends).

    Handles "2019 Jan-Feb", "2000 Dec-2001 Jan", "1998 Dec 23-30", "2013 Winter",
    "2001 Spring-Summer", "1999-2000", "Spring 1976" and a bare year. A range gives its
    start; a season its first month (Spring = March ... Winter = December).
    """
    found = _YEAR.search(raw)
    if not found:
        return None, None
    year = int(found.group(1))
    month, day = _month_day(_TOKEN.findall(raw[found.end() :]))
    if month is None:  # "Spring 1976", "Dec 1998"
        month, day = _month_day(_TOKEN.findall(raw[: found.start()]))
    return year, _safe_date(year, month, day)


PubDate: TypeAlias = tuple[int | None, date | None, str | None]
_dates: dict[tuple[tuple[Any, str], ...], PubDate] = {}


def pub_date(pub: Element | None) -> PubDate:
    """(year, earliest date, raw text) of a ``PubDate`` element, whatever form it takes."""
    if pub is None:
        return None, None, None
    parts = {child.tag: text_of(child) for child in pub}
    key = tuple(parts.items())
    found = _dates.get(key)  # a file holds a few hundred distinct dates: work each out once
    if found is None:
        if len(_dates) >= _DATE_CACHE_SIZE:
            _dates.clear()
        found = _dates[key] = _read_pub_date(parts)
    return found


def _read_pub_date(parts: dict[str, str]) -> PubDate:
    medline = parts.get("MedlineDate")
    if medline:
        year, when = parse_free_date(medline)
        return year, when, medline
    year_s, month_s, day_s = (
        parts.get("Year", ""),
        parts.get("Month", ""),
        parts.get("Day", ""),
    )
    season = parts.get("Season", "")
    raw = " ".join(p for p in (year_s, month_s or season, day_s) if p) or None
    if not year_s.isdigit():
        return (*parse_free_date(raw), raw) if raw else (None, None, None)
    year = int(year_s)
    month = _month(month_s) if month_s else SEASONS.get(season.lower())
    day = int(day_s) if day_s.isdigit() else None
    return year, _safe_date(year, month, day), raw


# ---------------------------------------------------------------- people and indexing


def _authors(author_list: Element | None) -> list[dict[str, Any]]:
    """Authors in order, with affiliations and ORCID; entries PubMed marks invalid are dropped."""
    if author_list is None:
        return []
    out: list[dict[str, Any]] = []
    for au in author_list:
        if au.tag != "Author" or au.get("ValidYN") == "N":
            continue
        last = fore = initials = collective = orcid = None
        affiliations: list[str] = []
        for child in au:
            tag = child.tag
            if tag == "LastName":
                last = text_of(child) or None
            elif tag == "ForeName":
                fore = text_of(child) or None
            elif tag == "Initials":
                initials = text_of(child) or None
            elif tag == "AffiliationInfo":
                for aff in child:
                    if aff.tag == "Affiliation" and (value := text_of(aff)):
                        affiliations.append(value)
            elif tag == "CollectiveName":
                collective = text_of(child) or None
            elif tag == "Affiliation":  # pre-2015 DTDs
                if value := text_of(child):
                    affiliations.append(value)
            elif tag == "Identifier" and orcid is None and (child.get("Source") or "").upper() == "ORCID":
                orcid = text_of(child) or None
        out.append(
            {
                "last": last,
                "fore": fore,
                "initials": initials,
                "collective": collective,
                "affiliations": affiliations,
                "orcid": orcid,
            }
        )
    return out


def _mesh(heading_list: Element | None) -> list[dict[str, Any]]:
    if heading_list is None:
        return []
    out: list[dict[str, Any]] = []
    for heading in heading_list:
        if heading.tag != "MeshHeading":
            continue
        descriptor: dict[str, Any] | None = None
        qualifiers: list[dict[str, Any]] = []
        for child in heading:
            entry = {"ui": child.get("UI"), "name": text_of(child), "major": child.get("MajorTopicYN") == "Y"}
            tag = child.tag
            if tag == "QualifierName":
                qualifiers.append(entry)
            elif tag == "DescriptorName":
                descriptor = entry
        if descriptor is not None:
            descriptor["qualifiers"] = qualifiers
            out.append(descriptor)
    return out


def _chemicals(chemical_list: Element | None) -> list[dict[str, Any]]:
    if chemical_list is None:
        return []
    out: list[dict[str, Any]] = []
    for chem in chemical_list:
        if chem.tag != "Chemical":
            continue
        name = registry_el = None
        for child in chem:
            tag = child.tag
            if tag == "NameOfSubstance" and name is None:
                name = child
            elif tag == "RegistryNumber" and registry_el is None:
                registry_el = child
        registry = text_of(registry_el)
        out.append(
            {
                "ui": name.get("UI") if name is not None else None,
                "name": text_of(name),
                "registry": registry if registry and registry != "0" else None,
            }
        )
    return out


def publication_types(type_list: Element | None) -> list[dict[str, Any]]:
    if type_list is None:
        return []
    return [{"ui": pt.get("UI"), "name": text_of(pt)} for pt in type_list if pt.tag == "PublicationType"]


def _keywords(keyword_lists: list[Element]) -> list[str]:
    """Keywords of every ``KeywordList`` given, in order, without (case-insensitive) duplicates."""
    out: list[str] = []
    seen: set[str] = set()
    for kw_list in keyword_lists:
        for kw in kw_list:
            if kw.tag != "Keyword":
                continue
            value = text_of(kw)
            if value and (folded := value.casefold()) not in seen:
                seen.add(folded)
                out.append(value)
    return out


def is_retracted(types: list[dict[str, Any]], corrections: Element | None) -> bool:
    """Retracted: the "Retracted Publication" type, or a ``RetractionIn`` correction link."""
    for pt in types:
        if pt["ui"] == RETRACTED_PUBLICATION_UI or pt["name"] == "Retracted Publication":
            return True
    if corrections is not None:
        for cc in corrections:
            if cc.tag == "CommentsCorrections" and cc.get("RefType") == "RetractionIn":
                return True
    return False


def article_ids(id_list: Element | None) -> dict[str, str]:
    """``IdType -> value`` of a record's own ``ArticleIdList`` (not its reference list's)."""
    ids: dict[str, str] = {}
    if id_list is not None:
        for aid in id_list:
            if aid.tag != "ArticleId":
                continue
            kind = aid.get("IdType")
            if kind and kind not in ids and (value := text_of(aid)):
                ids[kind] = value
    return ids


def elocation_doi(locations: list[Element]) -> str | None:
    """The first valid DOI among an article's ``ELocationID`` elements."""
    for loc in locations:
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y":
            return opt_text(loc)
    return None


def pages(pagination: Element | None) -> str | None:
    """``MedlinePgn``, else ``StartPage-EndPage`` of a ``Pagination`` element."""
    parts = children(pagination)
    medline = opt_text(parts.get("MedlinePgn"))
    if medline:
        return medline
    start, end = opt_text(parts.get("StartPage")), opt_text(parts.get("EndPage"))
    if start and end:
        return f"{start}-{end}"
    return start


abstract = _with_c_twin(_abstract)
authors = _with_c_twin(_authors)
mesh = _with_c_twin(_mesh)
chemicals = _with_c_twin(_chemicals)
keywords = _with_c_twin(_keywords)
