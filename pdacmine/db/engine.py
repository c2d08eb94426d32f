"""Engine and session factory: SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pdacmine.config import mask_url, normalize_db_url
from pdacmine.errors import DatabaseError

#: Values per ``IN (...)`` list: well under every backend's bound-parameter limit (SQLite: 32,766).
IN_CHUNK = 900


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; relative SQLite paths become absolute, parents are created."""
    url = normalize_db_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)  # connects only on first use: the directory can be made after
            event.listen(engine, "connect", _sqlite_pragmas)
            path = sqlite_path(engine)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise DatabaseError(_missing_driver(url, exc)) from exc
    except (SQLAlchemyError, ValueError, OSError) as exc:
        raise DatabaseError(f"cannot open database {mask_url(url)}: {exc}") from exc
    return engine


def _missing_driver(url: str, exc: ImportError) -> str:
    """One line for a database URL whose driver is not installed (PostgreSQL is the ``postgres`` extra)."""
    module = exc.name or str(exc)
    if url.startswith("postgresql"):
        return (
            f"PostgreSQL support is not installed (no module {module}): pip install 'pdacmine[postgres]', "
            f"or use an SQLite database"
        )
    return f"cannot open database {mask_url(url)}: its driver is not installed (no module {module})"


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"database {mask_url(engine.url.render_as_string(hide_password=False))} does not answer: {reason}"
        ) from exc


def sqlite_path(engine: Engine) -> Path | None:
    """The file behind an SQLite engine, or None (PostgreSQL, in-memory)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def chunked_in(column: Any, values: Iterable[Any]) -> Iterator[ColumnElement[bool]]:
    """``column IN (...)`` conditions over the distinct ``values`` (sorted), :data:`IN_CHUNK` at most each."""
    ordered = sorted(set(values))
    for i in range(0, len(ordered), IN_CHUNK):
        yield column.in_(ordered[i : i + IN_CHUNK])
