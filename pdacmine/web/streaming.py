"""Run one of the CLI's streaming writers (``write(rows, columns, out)``) into an HTTP response.

The writer runs in a worker thread and writes into a :class:`_ChunkQueue`; the response
iterates the queue. The queue is bounded, so a slow client slows the database cursor
instead of filling memory; a client that goes away stops the writer at its next write.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

logger = logging.getLogger(__name__)
_CHUNK = 64 * 1024
_DONE = object()


class ClientGone(Exception):
    """The response was closed before the writer finished."""


class _ChunkQueue:
    """A write-only text stream whose output is read, in chunks of bytes, from another thread."""

    def __init__(self) -> None:
        self.q: queue.Queue[object] = queue.Queue(maxsize=16)
        self.buf: list[str] = []
        self.size = 0
        self.closed = threading.Event()

    def write(self, text: str) -> int:
        if self.closed.is_set():
            raise ClientGone()
        self.buf.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self.buf:
            data = "".join(self.buf).encode("utf-8")
            self.buf, self.size = [], 0
            while not self.closed.is_set():
                try:
                    self.q.put(data, timeout=0.5)
                    return
                except queue.Full:
                    continue
            raise ClientGone()


def stream_text(write: Callable[[TextIO], object], *, prefix: str = "") -> Iterator[bytes]:
    """Bytes of everything ``write(out)`` writes, as it writes them (``prefix`` first, e.g. a BOM)."""
    sink = _ChunkQueue()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            if prefix:
                sink.write(prefix)
            write(sink)  # type: ignore[arg-type]  # only write/flush are used
            sink.flush()
        except ClientGone:
            logger.info("download stopped: the client went away")
        except Exception as exc:  # reported to the reader below, never lost
            failure.append(exc)
        finally:
            while True:
                try:
                    sink.q.put(_DONE, timeout=0.5)
                    break
                except queue.Full:
                    if sink.closed.is_set():
                        break

    thread = threading.Thread(target=work, name="pdacmine-download", daemon=True)
    thread.start()
    try:
        while True:
            item = sink.q.get()
            if item is _DONE:
                break
            assert isinstance(item, bytes)
            yield item
        if failure:
            raise failure[0]
    finally:
        sink.closed.set()
