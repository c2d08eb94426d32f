"""The bytes of a PubMed XML source as a bounded stream: gzip recognised, long runs cut.

:func:`open_xml` opens a path, bytes or a binary file, gunzips it when it starts with gzip's
magic bytes (with zlib-ng when installed, the standard library otherwise) and bounds what one
element's text and one record may cost in memory (:class:`_BoundedRuns`). The parser
(:mod:`pdacmine.miner.parse`) reads XML from it. Pure: no network, no database.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from types import ModuleType
from typing import BinaryIO

from pdacmine.errors import ParseError
from pdacmine.miner.records import MAX_TEXT_CHARS

Source = str | os.PathLike[str] | bytes | BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
#: Longest text run (one element's text) read into memory: room for MAX_TEXT_CHARS characters of 4 bytes.
MAX_RUN_BYTES = 4 * MAX_TEXT_CHARS + (1 << 16)
#: Largest record read (bytes of XML between the ends of two records; the biggest real ones are a few MB).
MAX_RECORD_BYTES = 16 << 20
#: The gzip module that reads compressed input, and the errors that mean its data is damaged.
gunzip: ModuleType = gzip
DAMAGED: tuple[type[Exception], ...] = (EOFError, zlib.error, gzip.BadGzipFile)
try:  # zlib-ng, when installed, inflates ~3x faster than zlib (a sixth of a baseline file's parse time)
    from zlib_ng import gzip_ng, zlib_ng

    gunzip, DAMAGED = gzip_ng, (*DAMAGED, zlib_ng.error)  # type: ignore[arg-type]  # stub: "error: Exception"
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


class RecordTooLarge(Exception):
    """One record is longer than ``MAX_RECORD_BYTES``: the file is not read further."""

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
        """Raise :class:`RecordTooLarge` when one record grows past ``record_limit`` bytes.

        A record of many small elements (a 200 MB abstract in 1 million paragraphs) is not cut
        by the text limit; its size is bounded here. ``</Pubmed`` ends a record's PubmedData, the
        record itself and the set; ``</DeleteCitation`` a deletion block.
        """
        end = max(out.rfind(b"</Pubmed"), out.rfind(b"</DeleteCitation"))
        self._record = self._record + len(out) if end < 0 else len(out) - end
        if self._record > self._record_limit:
            raise RecordTooLarge(self._record_limit)

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


def open_xml(source: Source, name: str) -> tuple[BinaryIO, list[BinaryIO]]:
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
    if head == GZIP_MAGIC:
        stream = gunzip.GzipFile(fileobj=stream, mode="rb")
    stream = io.BufferedReader(_BoundedRuns(stream, MAX_RUN_BYTES), 1 << 16)
    return stream, to_close
