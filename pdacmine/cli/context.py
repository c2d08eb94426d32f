"""State shared by all commands: settings and a lazily opened, migrated database."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import click
from sqlalchemy import Engine

from pdacmine.config import Settings, load_settings
from pdacmine.db import open_database
from pdacmine.db.engine import sqlite_file
from pdacmine.errors import DatabaseError, InputError

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
            self._engine = self.open_engine()
        return self._engine

    def open_engine(self, migrate: bool = True) -> Engine:
        """Open the database; a missing SQLite file is created only by :data:`CREATING_COMMANDS` (saying
        where), every other command stops with one line saying it does not exist."""
        url = self.settings().db
        path = sqlite_file(url)
        new = path is not None and not path.exists()
        if new and _command_name() not in CREATING_COMMANDS:
            raise DatabaseError(
                f"database {path} does not exist: check --db / PDACMINE_DB, or create it with "
                "pdacmine update (or import, harvest, db upgrade)"
            )
        engine = open_database(url, migrate=migrate)
        if new and not self.quiet:
            click.echo(f"pdacmine: created a new database at {path}", err=True)
        return engine

    def say(self, message: str) -> None:
        """A result line on stdout, unless --quiet."""
        if not self.quiet:
            click.echo(message)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


pass_app = click.make_pass_decorator(AppContext)
#: The largest number an option takes (PostgreSQL's integer): beyond it, a usage error (exit 2), not an
#: overflow deep in the database driver.
MAX_NUMBER = 2**31 - 1


def count(low: int = 0) -> click.IntRange:
    """An integer option type from ``low`` to :data:`MAX_NUMBER`."""
    return click.IntRange(low, MAX_NUMBER)


#: Commands that write, and so may create a missing SQLite file.
CREATING_COMMANDS = frozenset({"import", "harvest", "update", "extract", "db", "queries"})


def _command_name() -> str | None:
    """The top-level command being run (``review`` for ``pdacmine review import``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().invoked_subcommand if ctx is not None else None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 article``, ``3,000 articles`` (``many`` for irregular plurals: ``1 entry`` / ``2 entries``)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _is_stream(path: str) -> bool:
    """True for what must be written in place: a pipe, a device, a socket, ``/dev/stdout``, ``/dev/fd/N``
    (a shell's ``>(...)``). A regular file, a missing one, or a symlink to either is replaced atomically."""
    if path in ("/dev/stdout", "/dev/stderr") or path.startswith(("/dev/fd/", "/proc/")):
        return True  # a descriptor: even when the shell pointed it at a regular file, write in place
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


@contextmanager
def open_output(path: str | os.PathLike[str] | None, bom: bool = False) -> Iterator[TextIO]:
    """Where a command's output goes; every failure to write (ENOSPC, a missing directory, a closed pipe)
    is an :class:`InputError` (exit 3) naming the path.

    stdout for ``path`` None or "-"; a pipe or device (``/dev/stdout``, ``>(gzip > x.gz)``, a named
    pipe) is streamed into; a regular file is written through ``<file>.partial``, which replaces it only when
    everything was written, and a symlink's target is the file written (the link stays).
    """
    encoding = "utf-8-sig" if bom else "utf-8"
    if path is None or str(path) == "-":
        try:
            if bom:
                sys.stdout.write("\ufeff")
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # the reader stopped reading (| head): not an error, see PdacmineGroup
        except OSError as exc:
            raise InputError(f"cannot write to stdout: {exc.strerror or exc}") from exc
        return
    target = os.fspath(path)
    try:
        if _is_stream(target):
            with open(target, "a", encoding=encoding, newline="") as fh:
                yield fh
            return
        yield from _replace_file(os.path.realpath(target), encoding)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _replace_file(real: str, encoding: str) -> Iterator[TextIO]:
    partial = real + ".partial"
    try:
        with open(partial, "w", encoding=encoding, newline="") as fh:
            yield fh
        if os.path.exists(real):
            os.chmod(partial, stat.S_IMODE(os.stat(real).st_mode))
        os.replace(partial, real)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def workspace(app: AppContext, **options: str | None) -> Workspace:
    """The library object a command calls: the effective settings (command options first) and the
    command's database, opened on first use as every command opens it."""
    from pdacmine.jobs.workspace import Workspace

    return Workspace(settings=app.settings(**options), engine=lambda: app.engine)
