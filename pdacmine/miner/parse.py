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
from types import ModuleType
from typing import BinaryIO

from lxml import etree

from pdacmine.errors import ParseError
from pdacmine.miner import pubmed_fields as f
from pdacmine.miner.pubmed_fields import Element
from pdacmine.miner.records import (
    MAX_TEXT_CHARS,
    ArticleRecord,
    BadRecord,
    DeleteRecord,
    ParsedItem,
    normalize_pmid,
    record_problem,
)

logger = logging.getLogger(__name__)

Source = str | os.PathLike[str] | bytes | BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_ROOTS = {"PubmedArticleSet", "PubmedBookArticleSet"}
_MAX_PMID = 20
#: Longest text run (one element's text) read into memory: room for MAX_TEXT_CHARS characters of 4 bytes.
MAX_RUN_BYTES = 4 * MAX_TEXT_CHARS + (1 << 16)
#: Largest record read (bytes of XML between the ends of two records; the biggest real ones are a few MB).
MAX_RECORD_BYTES = 16 << 20
_FEED_BYTES = 1 << 16
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")

_gunzip: ModuleType = gzip
_DAMAGED: tuple[type[Exception], ...] = (EOFError, zlib.error, gzip.BadGzipFile)
try:  # zlib-ng, when installed, inflates ~3x faster than zlib (a sixth of a baseline file's parse time)
    from zlib_ng import gzip_ng, zlib_ng

    _gunzip, _DAMAGED = gzip_ng, (*_DAMAGED, zlib_ng.error)  # type: ignore[arg-type]  # stub: "error: Exception"
except ImportError:  # pragma: no cover - the standard library does the same, slower
    pass


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


class _RecordTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a record is larger than {limit >> 20} MB, far more than any PubMed record")


class _BoundedRuns(io.RawIOBase):
    """A read-only stream that cuts every run of bytes without a ``<`` at ``limit`` bytes.

    Such a run is one element's text (with the tag before it). The first ``limit`` bytes are kept,
    cut back to a whole UTF-8 character and a whole entity reference, and the rest is skipped up to
    the next tag, so a 200 MB abstract costs ``limit`` bytes of memory, not 200 MB, and still
    parses; its record, then longer than :data:`~pdacmine.miner.records.MAX_TEXT_CHARS`, is
    reported as a bad record. Each read takes at most ``limit`` bytes, so only the run that
    crosses from one read into the next can be too long: two ``find`` calls per read.
    """

    def __init__(self, raw: BinaryIO, limit: int, record_limit: int = MAX_RECORD_BYTES) -> None:
        self._raw = raw
        self._limit = limit
        self._run = 0  # bytes of the current run (since the last "<") already passed on
        self._skipping = False
        self._record_limit = record_limit
        self._record = 0  # bytes passed on since the end of the last record (or of its PubmedData)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            chunk = self._raw.read(min(len(buffer), self._limit))
            if not chunk:
                return 0
            out = self._filter(chunk)
            if out:
                self._count_record(out)
                buffer[: len(out)] = out
                return len(out)

    def _count_record(self, out: bytes) -> None:
        """Raise :class:`_RecordTooLarge` when one record grows past ``record_limit`` bytes.

        A record of many small elements (a 200 MB abstract in 1 million paragraphs) is not cut
        by the text limit; its size is bounded here. ``</Pubmed`` ends a record's PubmedData, the
        record itself and the set; ``</DeleteCitation`` a deletion block.
        """
        end = max(out.rfind(b"</Pubmed"), out.rfind(b"</DeleteCitation"))
        self._record = self._record + len(out) if end < 0 else len(out) - end
        if self._record > self._record_limit:
            raise _RecordTooLarge(self._record_limit)

    def _filter(self, chunk: bytes) -> bytes:
        if self._skipping:
            start = chunk.find(b"<")
            if start < 0:
                return b""
            self._skipping, self._run, chunk = False, 0, chunk[start:]
        first = chunk.find(b"<")
        head = len(chunk) if first < 0 else first
        if self._run + head <= self._limit:
            self._run = self._run + len(chunk) if first < 0 else len(chunk) - chunk.rfind(b"<")
            return chunk
        kept = _whole_characters(chunk[: self._limit - self._run])
        if first < 0:
            self._skipping = True
            return kept
        self._run = len(chunk) - chunk.rfind(b"<")
        return kept + chunk[first:]


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 character or an entity reference cut at its end."""
    end = len(data)
    while end and 0x80 <= data[end - 1] < 0xC0:
        end -= 1
    if end and data[end - 1] >= 0xC0:
        end -= 1
    amp = data.rfind(b"&", 0, end)
    if amp >= 0 and data.find(b";", amp, end) < 0:
        end = amp
    return data[:end]


def _open(source: Source, name: str) -> tuple[BinaryIO, list[BinaryIO]]:
    """A binary stream of XML bytes (gunzipped when the data starts with gzip's magic bytes)."""
    to_close: list[BinaryIO] = []
    if isinstance(source, bytes):
        raw: BinaryIO = io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        try:
            raw = open(source, "rb")  # noqa: SIM115 - closed by the caller via to_close
        except OSError as exc:
            raise ParseError(name, f"cannot read the file: {exc.strerror or exc}") from exc
        to_close.append(raw)
    else:
        raw = source
    head = raw.read(2)
    stream: BinaryIO = io.BufferedReader(_Prefixed(head, raw), 1 << 16)
    if head == _GZIP_MAGIC:
        stream = _gunzip.GzipFile(fileobj=stream, mode="rb")
    stream = io.BufferedReader(_BoundedRuns(stream, MAX_RUN_BYTES), 1 << 16)
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
        except _RecordTooLarge as exc:
            where = f" after the record at line {seen.line}" if seen.line else ""
            raise ParseError(label, f"{exc}{where}; the file is not read further", seen.line) from exc
        except _DAMAGED as exc:
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
