"""Reading a text export: decoding with a clear error, and splitting tagged files into records with line numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pdacmine.errors import InputError, ParseError


def read_text(path: Path, name: str) -> str:
    """The file as text (UTF-8, a BOM dropped); raises :class:`ParseError` naming the line of bad bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file: {exc.strerror or exc}") from exc
    if data.startswith(b"\x1f\x8b"):
        raise ParseError(name, "a gzip file; only PubMed XML may be gzipped (use --format pubmed-xml)")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(name, "binary data (a NUL byte), not a text export", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            return data.decode("cp1252")  # older Windows exports; every byte but five decodes
        except UnicodeDecodeError:
            raise ParseError(name, "neither UTF-8 nor Windows-1252 text", line=line) from exc


def split_tagged(
    text: str,
    name: str,
    tag: re.Pattern[str],
    starts: re.Pattern[str],
    ends: re.Pattern[str] | None,
    what: str,
    continuation: re.Pattern[str] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each record of a tagged format (RIS, MEDLINE).

    A record begins at a line matching ``starts``; with ``ends`` it must close with a line
    matching it (RIS ``ER  -``), otherwise a blank line or the next start closes it (MEDLINE).
    Inside a record, a line that is not a tag line continues the previous field (with
    ``continuation``, it must match that pattern, e.g. MEDLINE's six-space indent). Text outside
    records, a record left open (a truncated file) or a new record inside an open one raises
    :class:`ParseError` naming the line.
    """
    start: int | None = None
    lines: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if start is None:
            if not line.strip():
                continue
            if not starts.match(line):
                raise ParseError(name, f"expected the start of a {what} record, found {_shorten(line)!r}", line=number)
            start, lines = number, [line]
            continue
        if starts.match(line):
            if ends is not None:
                raise ParseError(
                    name, f"a new record starts before the record at line {start} ended (no ER line)", line=number
                )
            yield start, lines
            start, lines = number, [line]
        elif ends is not None and ends.match(line):
            lines.append(line)
            yield start, lines
            start, lines = None, []
        elif not line.strip():
            if ends is None:
                yield start, lines
                start, lines = None, []
        elif tag.match(line) or continuation is None or continuation.match(line):
            lines.append(line)
        else:
            raise ParseError(name, f"not a {what} field line: {_shorten(line)!r}", line=number)
    if start is not None:
        if ends is not None:
            raise ParseError(name, f"the record starting at line {start} has no ER line (truncated file?)", line=start)
        yield start, lines


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
