"""CLI commands for the database and settings: ``db upgrade``, ``config``."""

from __future__ import annotations

import click

from pdacmine.cli.context import AppContext, pass_app
from pdacmine.config import SETTINGS, config_path, mask_url
from pdacmine.db.migrate import current_revision, head_revision, upgrade
from pdacmine.miner.rank import user_weights_path


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Create the database or bring its schema to the newest version.

    \b
    Example:
      pdacmine --db postgresql://me@dbhost/pdacmine db upgrade
    """
    engine = app.open_engine(migrate=False)
    before = current_revision(engine)
    ran = upgrade(engine)
    engine.dispose()
    target = mask_url(app.settings().db)
    if ran:
        app.say(f"upgraded {target} from {before or 'empty'} to {head_revision()}")
    else:
        app.say(f"{target} is up to date ({head_revision()})")


@click.command("config")
@pass_app
def config_show(app: AppContext) -> None:
    """Show the effective settings and where each came from.

    Precedence: command-line option > environment variable > config file > default.
    Secrets (e-mail, API key) are shown only as set / not set.

    \b
    Example:
      NCBI_EMAIL=me@example.org pdacmine config
    """
    settings = app.settings()
    click.echo(f"config file: {config_path()}")
    weights = user_weights_path()
    click.echo(f"rank weights: {weights}" + ("" if weights.is_file() else " (not there: the shipped weights)"))
    for s in SETTINGS:
        value = settings.values.get(s.name)
        if s.secret:
            shown = "(set)" if value else "(not set)"
        elif s.name == "db":
            shown = mask_url(settings.db)
        else:
            shown = value or ""
        source = settings.sources[s.name]
        where = source if source == f"env {s.env}" else f"{source}; env {s.env}"
        click.echo(f"{s.name:<13} {shown:<60} [{where}]")


COMMANDS: list[click.Command] = [db_group, config_show]
