"""State shared by all commands: settings and a lazily opened, migrated database."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import click
from sqlalchemy import Engine

from pdacmine.config import Settings, load_settings
from pdacmine.db import open_database
from pdacmine.errors import InputError

if TYPE_CHECKING:
    from pdacmine.jobs.workspace import Workspace


@dataclass
class AppContext:
    db_option: str | None = None
    quiet: bool = False
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def settings(self, **options: str | None) -> Settings:
        """Effective settings; command options (e.g. ``ncbi_email``) take precedence."""
        merged = {"db": self.db_option, **options}
        if self._settings is None or options:
            self._settings = load_settings(merged)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_database(self.settings().db)
        return self._engine

    def say(self, message: str) -> None:
        """A result line on stdout, unless --quiet."""
        if not self.quiet:
            click.echo(message)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


pass_app = click.make_pass_decorator(AppContext)


@contextmanager
def open_output(path: str | os.PathLike[str] | None, bom: bool = False) -> Iterator[TextIO]:
    """stdout (``path`` None or "-"), or ``path`` written through ``<path>.partial``, which replaces it only
    when everything was written; a path that cannot be written is an :class:`InputError` (exit 3)."""
    if path is None or str(path) == "-":
        out = sys.stdout
        if bom:
            out.write("\ufeff")
        yield out
        out.flush()
        return
    target = os.fspath(path)
    partial = target + ".partial"
    try:
        with open(partial, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            yield fh
        os.replace(partial, target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def workspace(app: AppContext, **options: str | None) -> Workspace:
    """The library object a command calls: the effective settings (command options first) and the
    command's database, opened on first use as every command opens it."""
    from pdacmine.jobs.workspace import Workspace

    return Workspace(settings=app.settings(**options), engine=lambda: app.engine)
