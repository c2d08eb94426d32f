"""One writer job at a time: a file lock for SQLite, an advisory lock for PostgreSQL."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout
from sqlalchemy import Engine, text

from pdacmine.db.engine import sqlite_path
from pdacmine.errors import LockedError

_LOCK_NAME = "pdacmine-writer"


def _advisory_key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def writer_lock(engine: Engine, name: str = _LOCK_NAME) -> Iterator[None]:
    """Hold the database's writer lock or raise :class:`LockedError` at once."""
    if engine.dialect.name == "postgresql":
        key = _advisory_key(name)
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if not got:
                raise LockedError("another pdacmine run is already working on this database; try again later")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    lock = FileLock(f"{path}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(
            f"another pdacmine run is already working on {path} (lock {path}.lock); try again later"
        ) from exc
    try:
        yield
    finally:
        lock.release()
