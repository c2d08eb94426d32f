"""Schema management with Alembic: runs on first use and on ``pdacmine db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from pdacmine.db.engine import reason
from pdacmine.db.lock import migration_lock
from pdacmine.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns True when anything ran.

    Under :func:`~pdacmine.db.lock.migration_lock`: when several commands use a fresh database at once,
    one creates the schema and the others wait for it, then find it up to date."""
    try:
        if current_revision(engine) == head_revision():
            return False
        with migration_lock(engine):
            if current_revision(engine) == head_revision():
                return False
            cfg = _config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot upgrade the database schema: {reason(exc)}") from exc
    return True
