"""Engine and session factory: SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pdacmine.config import mask_url, normalize_db_url
from pdacmine.errors import ConfigError, DatabaseError

#: Values per ``IN (...)`` list: well under every backend's bound-parameter limit (SQLite: 32,766).
IN_CHUNK = 900


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")  # first: switching a new file to WAL waits for its other users
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
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


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL (or bare path) names; None for PostgreSQL and in-memory SQLite."""
    try:
        parsed = make_url(normalize_db_url(url))
    except ArgumentError as exc:
        raise ConfigError(f"database {mask_url(url)!r} is not a database URL: {exc}") from exc
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def reason(exc: BaseException) -> str:
    """The first line of what the database driver said, without SQLAlchemy's SQL dump."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def database_error(exc: DBAPIError, engine: Engine | None = None) -> DatabaseError:
    """One line for a driver error that reached the top (a corrupt file, a lost server): exit 5."""
    where = ""
    if engine is not None:
        where = " " + (engine.url.database or "" if engine.dialect.name == "sqlite" else mask_url(str(engine.url)))
    hint = ""
    if "malformed" in str(exc.orig) or "not a database" in str(exc.orig):
        hint = " (the SQLite file is corrupt or truncated: restore it from a backup)"
    return DatabaseError(f"database{where}: {reason(exc)}{hint}")


def check_connection(engine: Engine) -> None:
    """Connect once (and, for SQLite, read the schema) so that an unreachable server or a file that is
    not an SQLite database is one :class:`DatabaseError` here, not a traceback later."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("SELECT count(*) FROM sqlite_master"))
    except DBAPIError as exc:
        url = mask_url(engine.url.render_as_string(hide_password=False))
        if engine.dialect.name == "sqlite":
            raise database_error(exc, engine) from exc
        raise DatabaseError(f"database {url} does not answer: {reason(exc)}") from exc


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
