"""One writer job at a time: a file lock for SQLite, an advisory lock for PostgreSQL."""

from __future__ import annotations

import time
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
def _advisory_lock(engine: Engine, name: str, wait: float, message: str) -> Iterator[None]:
    """PostgreSQL: hold the session advisory lock ``name``, trying for ``wait`` seconds (0: once)."""
    key = _advisory_key(name)
    with engine.connect() as conn:
        deadline = time.monotonic() + wait
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.commit()
            if time.monotonic() >= deadline:
                raise LockedError(message)
            time.sleep(0.1)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextmanager
def _file_lock(engine: Engine, suffix: str, wait: float, message: str) -> Iterator[None]:
    """SQLite: hold ``<database file><suffix>``, waiting ``wait`` seconds (0: not at all); in memory: nothing."""
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    lock = FileLock(f"{path}{suffix}", timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(message.format(path=path)) from exc
    try:
        yield
    finally:
        lock.release()


@contextmanager
def writer_lock(engine: Engine, name: str = _LOCK_NAME) -> Iterator[None]:
    """Hold the database's writer lock or raise :class:`LockedError` at once."""
    if engine.dialect.name == "postgresql":
        message = "another pdacmine run is already working on this database; try again later"
        with _advisory_lock(engine, name, 0.0, message):
            yield
        return
    message = "another pdacmine run is already working on {path} (lock {path}.lock); try again later"
    with _file_lock(engine, ".lock", 0.0, message):
        yield


#: How long a command waits for another one to finish creating or upgrading the schema.
MIGRATION_WAIT = 300.0


@contextmanager
def migration_lock(engine: Engine, wait: float = MIGRATION_WAIT) -> Iterator[None]:
    """Hold the schema lock, waiting up to ``wait`` seconds for another command creating or upgrading the
    schema (several commands' first use of a fresh database); :class:`LockedError` after that."""
    message = f"another pdacmine command has been upgrading the database schema for {wait:.0f} s; try again later"
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, "pdacmine-migration", wait, message):
            yield
        return
    with _file_lock(engine, ".migrate.lock", wait, message.replace("{", "{{").replace("}", "}}")):
        yield
