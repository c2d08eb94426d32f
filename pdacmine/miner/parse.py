"""Streaming parser for PubMed XML (baseline/update files, saved EFetch output, E-utilities bodies).

:func:`iter_pubmed` walks a ``PubmedArticleSet`` with lxml ``iterparse`` and clears each record
once it is turned into a plain :mod:`pdacmine.miner.records` object, so memory stays flat
whatever the file size. A record that cannot be read becomes a :class:`BadRecord` (PMID +
reason) and the stream goes on; a malformed or truncated file raises
:class:`~pdacmine.errors.ParseError` naming the file and line, after everything before the
fault has been yielded. Pure: no network, no database.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator

from lxml import etree

from pdacmine.errors import ParseError
from pdacmine.miner import pubmed_fields as f
from pdacmine.miner.pubmed_fields import Element
from pdacmine.miner.records import (
    ArticleRecord,
    BadRecord,
    DeleteRecord,
    ParsedItem,
    normalize_pmid,
    record_problem,
)
from pdacmine.miner.xml_input import DAMAGED, RecordTooLarge, Source, open_xml

logger = logging.getLogger(__name__)

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_ROOTS = {"PubmedArticleSet", "PubmedBookArticleSet"}
_MAX_PMID = 20
_FEED_BYTES = 1 << 16
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")


def _source_name(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return getattr(source, "name", None) or "<PubMed XML>"


def iter_pubmed(source: Source, name: str | None = None) -> Iterator[ParsedItem]:
    """Yield one :data:`ParsedItem` per PubmedArticle, PubmedBookArticle and deleted PMID.

    ``source`` is a path, the bytes of an E-utilities response, or a binary file object;
    gzip is recognised by its magic bytes. ``name`` is used in error messages (default:
    the path). Raises :class:`ParseError` on malformed, truncated or non-PubMed XML, after
    yielding every record before the fault.
    """
    label = _source_name(source, name)
    stream, to_close = open_xml(source, label)
    seen = _Seen()
    parser = etree.XMLPullParser(
        events=("end",),
        tag=_RECORD_TAGS,
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        try:
            while chunk := stream.read(_FEED_BYTES):
                parser.feed(chunk)
                yield from _drain(parser, seen)
        except etree.XMLSyntaxError as exc:
            # the records that ended in the chunk holding the fault are still queued: every complete one counts
            yield from _drain(parser, seen)
            raise ParseError(label, _syntax_reason(exc), exc.lineno or seen.line) from exc
        except RecordTooLarge as exc:
            where = f" after the record at line {seen.line}" if seen.line else ""
            raise ParseError(label, f"{exc}{where}; the file is not read further", seen.line) from exc
        except DAMAGED as exc:
            where = f" after the record at line {seen.line}" if seen.line else ""
            raise ParseError(label, f"compressed data is damaged or cut short{where} ({exc})", seen.line) from exc
        try:
            root = parser.close()
        except etree.XMLSyntaxError as exc:  # cut short: records closed by the end of data are not complete
            raise ParseError(label, _syntax_reason(exc), exc.lineno or seen.line) from exc
        yield from _drain(parser, seen)
        _check_root(label, root, seen.count)
    finally:
        for fh in to_close:
            fh.close()


class _Seen:
    """Records read so far and the line of the last one (for error messages)."""

    __slots__ = ("count", "line")

    def __init__(self) -> None:
        self.count = 0
        self.line: int | None = None


def _drain(parser: etree.XMLPullParser, seen: _Seen) -> Iterator[ParsedItem]:
    for _event, elem in parser.read_events():
        seen.line = elem.sourceline
        yield from _items(elem)
        seen.count += 1
        _release(elem)


def _syntax_reason(exc: etree.XMLSyntaxError) -> str:
    msg = _LXML_POSITION.sub("", (exc.msg or str(exc)).strip())
    if "Premature end of data" in msg or "end of document" in msg:
        return f"the file ends in the middle of a record (truncated download?): {msg}"
    return f"malformed XML: {msg}"


def _check_root(label: str, root: etree._Element | None, count: int) -> None:
    if root is None or root.tag in _ROOTS or count:
        return
    error = root.findtext(".//ERROR")
    if error:
        raise ParseError(
            label,
            f"E-utilities answered with an error instead of records: {error.strip()}",
        )
    raise ParseError(
        label,
        f"not PubMed XML: the root element is <{root.tag}>, expected <PubmedArticleSet>",
    )


def _release(elem: etree._Element) -> None:
    """Free a finished record and the (already cleared) siblings before it."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _items(elem: etree._Element) -> Iterator[ParsedItem]:
    tag = elem.tag
    if tag == "DeleteCitation":
        for pmid_el in elem.iterchildren("PMID"):
            raw = (pmid_el.text or "").strip()
            pmid = normalize_pmid(raw)
            if pmid is not None:
                yield DeleteRecord(pmid)
            else:
                yield BadRecord(raw[:_MAX_PMID] or None, f"DeleteCitation with an invalid PMID {raw[:40]!r}")
        return
    body_tag, data_tag = (
        ("MedlineCitation", "PubmedData") if tag == "PubmedArticle" else ("BookDocument", "PubmedBookData")
    )
    body_el = data_el = None
    for part in elem:
        if part.tag == body_tag and body_el is None:
            body_el = part
        elif part.tag == data_tag and data_el is None:
            data_el = part
    pmid_el = _first_child(body_el, "PMID")
    raw = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if not raw:
        yield BadRecord(None, f"{tag} at line {elem.sourceline} has no PMID")
        return
    pmid = normalize_pmid(raw)
    if pmid is None:
        yield BadRecord(raw[:_MAX_PMID], f"invalid PMID {raw[:40]!r}")
        return
    assert body_el is not None and pmid_el is not None
    try:
        record = ArticleRecord(pmid=pmid, version=int(pmid_el.get("Version") or 1))
        if tag == "PubmedArticle":
            _fill_article(record, body_el, data_el)
        else:
            _fill_book(record, body_el, data_el)
    except (ValueError, OverflowError) as exc:
        yield BadRecord(pmid, f"unreadable field: {str(exc)[:200]}")
        return
    problem = record_problem(record)
    yield record if problem is None else BadRecord(pmid, problem)


def _fill_article(rec: ArticleRecord, citation_el: Element, data_el: Element | None) -> None:
    """Fields of a ``PubmedArticle``, from its ``MedlineCitation`` and ``PubmedData`` elements."""
    citation, repeated = _first_children(citation_el, ("KeywordList", "OtherAbstract"))
    article_el = citation.get("Article")
    if article_el is None:
        raise ValueError("MedlineCitation has no Article element")
    _fill_from_article(rec, article_el)
    if not rec.abstract:  # e.g. a non-English article with an English abstract from the publisher
        for other in repeated["OtherAbstract"]:
            if other.get("Language", "eng") == "eng":
                rec.abstract, rec.abstract_sections = f.abstract(other)
                break
    info_el = citation.get("MedlineJournalInfo")
    if info_el is not None and (rec.journal_iso is None or rec.issn is None):
        info = f.children(info_el)
        rec.journal_iso = rec.journal_iso or f.opt_text(info.get("MedlineTA"))
        rec.issn = rec.issn or f.opt_text(info.get("ISSNLinking"))
    ids = f.article_ids(_first_child(data_el, "ArticleIdList"))
    rec.doi = ids.get("doi") or rec.doi  # rec.doi holds the ELocationID DOI, if any
    rec.pmcid = ids.get("pmc")
    rec.keywords = f.keywords(repeated["KeywordList"])
    rec.mesh = f.mesh(citation.get("MeshHeadingList"))
    rec.chemicals = f.chemicals(citation.get("ChemicalList"))
    rec.retracted = f.is_retracted(rec.publication_types, citation.get("CommentsCorrectionsList"))


def _fill_from_article(rec: ArticleRecord, article_el: Element) -> None:
    """Fields of the ``Article`` element (``rec.doi`` gets its ELocationID DOI, the fallback)."""
    article, repeated = _first_children(article_el, ("ELocationID",))
    _fill_journal(rec, article.get("Journal"))
    if rec.pub_year is None:
        rec.pub_year, rec.pub_date, rec.pub_date_raw = f.pub_date(article.get("ArticleDate"))
    rec.abstract, rec.abstract_sections = f.abstract(article.get("Abstract"))
    rec.title = f.text_of(article.get("ArticleTitle")) or f.text_of(article.get("VernacularTitle"))
    rec.pages = f.pages(article.get("Pagination"))
    rec.doi = f.elocation_doi(repeated["ELocationID"])
    rec.language = f.opt_text(article.get("Language"))
    rec.publication_types = f.publication_types(article.get("PublicationTypeList"))
    rec.authors = f.authors(article.get("AuthorList"))


def _first_children(el: Element, repeatable: tuple[str, ...]) -> tuple[dict[str, Element], dict[str, list[Element]]]:
    """One pass over ``el``'s children: the first child of each tag, and all children of the ``repeatable`` tags."""
    first: dict[str, Element] = {}
    repeated: dict[str, list[Element]] = {tag: [] for tag in repeatable}
    for child in el:
        tag = child.tag
        if tag in repeated:
            repeated[tag].append(child)
        else:
            first.setdefault(tag, child)
    return first, repeated


def _fill_journal(rec: ArticleRecord, journal_el: Element | None) -> None:
    """Journal title, ISO abbreviation, ISSN, volume, issue and publication date."""
    journal = f.children(journal_el)
    issue = f.children(journal.get("JournalIssue"))
    rec.pub_year, rec.pub_date, rec.pub_date_raw = f.pub_date(issue.get("PubDate"))
    rec.journal = f.opt_text(journal.get("Title"))
    rec.journal_iso = f.opt_text(journal.get("ISOAbbreviation"))
    rec.issn = f.opt_text(journal.get("ISSN"))
    rec.volume = f.opt_text(issue.get("Volume"))
    rec.issue = f.opt_text(issue.get("Issue"))


def _first_child(el: Element | None, tag: str) -> Element | None:
    return None if el is None else next(el.iterchildren(tag), None)


def _fill_book(rec: ArticleRecord, doc_el: Element, data_el: Element | None) -> None:
    """Fields of a ``PubmedBookArticle``, from its ``BookDocument`` and ``PubmedBookData`` elements."""
    doc = f.children(doc_el)
    book = f.children(doc.get("Book"))
    rec.pub_year, rec.pub_date, rec.pub_date_raw = f.pub_date(book.get("PubDate"))
    rec.abstract, rec.abstract_sections = f.abstract(doc.get("Abstract"))
    ids = {
        **f.article_ids(_first_child(data_el, "ArticleIdList")),
        **f.article_ids(doc.get("ArticleIdList")),
    }
    rec.journal = f.opt_text(book.get("BookTitle"))
    rec.title = f.text_of(doc.get("ArticleTitle")) or (rec.journal or "")
    rec.doi, rec.pmcid = ids.get("doi"), ids.get("pmc")
    rec.language = f.opt_text(doc.get("Language"))
    rec.publication_types = f.publication_types(doc_el)  # PublicationType elements sit on the document
    rec.keywords = f.keywords(list(doc_el.iterchildren("KeywordList")))
    authors = [a for a in doc_el.iterchildren("AuthorList") if a.get("Type", "authors") == "authors"]
    rec.authors = f.authors(authors[0] if authors else None)  # the chapter's authors, not the book's editors
    rec.retracted = f.is_retracted(rec.publication_types, doc.get("CommentsCorrectionsList"))
