"""Database access: engine, migrations, locks, and every query pdacmine builds."""

from __future__ import annotations

from sqlalchemy import Engine

from pdacmine.db.engine import check_connection, make_engine, session_scope
from pdacmine.db.migrate import upgrade


def open_database(url: str, migrate: bool = True) -> Engine:
    """Open ``url``, check it answers, and bring its schema up to date."""
    engine = make_engine(url)
    check_connection(engine)
    if migrate:
        upgrade(engine)
    return engine


__all__ = ["make_engine", "open_database", "session_scope", "upgrade"]
