"""State shared by all commands: settings and a lazily opened, migrated database."""

from __future__ import annotations

from dataclasses import dataclass, field

import click
from sqlalchemy import Engine

from pdacmine.config import Settings, load_settings
from pdacmine.db import open_database


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
