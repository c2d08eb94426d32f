"""Streaming parser for PubMed XML (baseline/update files, saved EFetch output, E-utilities bodies).

:func:`iter_pubmed` walks a ``PubmedArticleSet`` with lxml ``iterparse`` and clears each record
once it is turned into a plain :mod:`pdacmine.miner.records` object, so memory stays flat
whatever the file size. A record that cannot be read becomes a :class:`BadRecord` (PMID +
reason) and the stream goes on; a malformed or truncated file raises
:class:`~pdacmine.errors.ParseError` naming the file and line, after everything before the
fault has been yielded. Pure: no network, no database.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from pdacmine.errors import ParseError
from pdacmine.miner import pubmed_fields as f
from pdacmine.miner.records import ArticleRecord, BadRecord, DeleteRecord, ParsedItem

logger = logging.getLogger(__name__)

Source = str | os.PathLike[str] | bytes | BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_ROOTS = {"PubmedArticleSet", "PubmedBookArticleSet"}
_MAX_PMID = 20
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")


class _Prefixed(io.RawIOBase):
    """A read-only stream that first replays ``head`` (bytes already read to sniff the format)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        if self._head:
            chunk, self._head = self._head[:size], self._head[size:]
        else:
            chunk = self._rest.read(size)
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _open(source: Source, name: str) -> tuple[BinaryIO, list[BinaryIO]]:
    """A binary stream of XML bytes (gunzipped when the data starts with gzip's magic bytes)."""
    to_close: list[BinaryIO] = []
    if isinstance(source, bytes):
        raw: BinaryIO = io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        try:
            raw = open(source, "rb")  # noqa: SIM115 - closed by the caller via to_close
        except OSError as exc:
            raise ParseError(
                name, f"cannot read the file: {exc.strerror or exc}"
            ) from exc
        to_close.append(raw)
    else:
        raw = source
    head = raw.read(2)
    stream: BinaryIO = io.BufferedReader(_Prefixed(head, raw), 1 << 16)  # type: ignore[arg-type]
    if head == _GZIP_MAGIC:
        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    return stream, to_close


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
    stream, to_close = _open(source, label)
    last_line: int | None = None
    count = 0
    try:
        context = etree.iterparse(
            stream,
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
            for _event, elem in context:
                last_line = elem.sourceline
                yield from _items(elem)
                count += 1
                _release(elem)
            root = context.root
        except etree.XMLSyntaxError as exc:
            raise ParseError(
                label, _syntax_reason(exc), exc.lineno or last_line
            ) from exc
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            where = f" after the record at line {last_line}" if last_line else ""
            raise ParseError(
                label,
                f"compressed data is damaged or cut short{where} ({exc})",
                last_line,
            ) from exc
        _check_root(label, root, count)
    finally:
        for fh in to_close:
            fh.close()


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
        for pmid_el in elem.iterfind("PMID"):
            pmid = (pmid_el.text or "").strip()
            if pmid.isdigit() and len(pmid) <= _MAX_PMID:
                yield DeleteRecord(pmid)
            else:
                yield BadRecord(
                    pmid or None, f"DeleteCitation with an invalid PMID {pmid!r}"
                )
        return
    body = elem.find("MedlineCitation" if tag == "PubmedArticle" else "BookDocument")
    pmid_el = body.find("PMID") if body is not None else None
    pmid = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if not pmid:
        yield BadRecord(None, f"{tag} at line {elem.sourceline} has no PMID")
        return
    if not pmid.isdigit() or len(pmid) > _MAX_PMID:
        yield BadRecord(pmid[:_MAX_PMID], f"invalid PMID {pmid!r}")
        return
    assert body is not None and pmid_el is not None
    try:
        version = int(pmid_el.get("Version") or 1)
        if tag == "PubmedArticle":
            yield _article(elem, body, pmid, version)
        else:
            yield _book(elem, body, pmid, version)
    except ValueError as exc:
        yield BadRecord(pmid, f"unreadable field: {exc}")


def _article(
    elem: etree._Element, citation: etree._Element, pmid: str, version: int
) -> ArticleRecord:
    article = citation.find("Article")
    if article is None:
        raise ValueError("MedlineCitation has no Article element")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    info = citation.find("MedlineJournalInfo")
    year, when, raw = f.pub_date(issue.find("PubDate") if issue is not None else None)
    if year is None:
        year, when, raw = f.pub_date(article.find("ArticleDate"))
    text, sections = f.abstract(article.find("Abstract"))
    if not text:
        for other in citation.iterfind("OtherAbstract"):
            if other.get("Language", "eng") == "eng":
                text, sections = f.abstract(other)
                break
    ids = f.article_ids(elem.find("PubmedData/ArticleIdList"))
    types = f.publication_types(article.find("PublicationTypeList"))
    return ArticleRecord(
        pmid=pmid,
        version=version,
        title=f.text_of(article.find("ArticleTitle"))
        or f.text_of(article.find("VernacularTitle")),
        abstract=text,
        abstract_sections=sections,
        journal=f.opt_text(journal.find("Title")) if journal is not None else None,
        journal_iso=(
            f.opt_text(journal.find("ISOAbbreviation")) if journal is not None else None
        )
        or (f.opt_text(info.find("MedlineTA")) if info is not None else None),
        issn=(f.opt_text(journal.find("ISSN")) if journal is not None else None)
        or (f.opt_text(info.find("ISSNLinking")) if info is not None else None),
        volume=f.opt_text(issue.find("Volume")) if issue is not None else None,
        issue=f.opt_text(issue.find("Issue")) if issue is not None else None,
        pages=f.pages(article),
        pub_year=year,
        pub_date=when,
        pub_date_raw=raw,
        doi=ids.get("doi") or f.elocation_doi(article),
        pmcid=ids.get("pmc"),
        language=f.opt_text(article.find("Language")),
        publication_types=types,
        keywords=f.keywords(citation),
        mesh=f.mesh(citation.find("MeshHeadingList")),
        chemicals=f.chemicals(citation.find("ChemicalList")),
        authors=f.authors(article.find("AuthorList")),
        retracted=f.is_retracted(types, citation.find("CommentsCorrectionsList")),
    )


def _book(
    elem: etree._Element, doc: etree._Element, pmid: str, version: int
) -> ArticleRecord:
    book = doc.find("Book")
    year, when, raw = f.pub_date(book.find("PubDate") if book is not None else None)
    text, sections = f.abstract(doc.find("Abstract"))
    ids = f.article_ids(doc.find("ArticleIdList"))
    ids.update(
        {
            k: v
            for k, v in f.article_ids(elem.find("PubmedBookData/ArticleIdList")).items()
            if k not in ids
        }
    )
    book_title = f.opt_text(book.find("BookTitle")) if book is not None else None
    types = f.publication_types(doc)
    author_list = None
    for candidate in doc.iterfind("AuthorList"):
        if candidate.get("Type", "authors") == "authors":
            author_list = candidate
            break
    return ArticleRecord(
        pmid=pmid,
        version=version,
        title=f.text_of(doc.find("ArticleTitle")) or (book_title or ""),
        abstract=text,
        abstract_sections=sections,
        journal=book_title,
        pub_year=year,
        pub_date=when,
        pub_date_raw=raw,
        doi=ids.get("doi"),
        pmcid=ids.get("pmc"),
        language=f.opt_text(doc.find("Language")),
        publication_types=types,
        keywords=f.keywords(doc),
        authors=f.authors(author_list),
        retracted=f.is_retracted(types, doc.find("CommentsCorrectionsList")),
    )
