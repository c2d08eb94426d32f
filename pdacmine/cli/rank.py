"""CLI commands: rank (owned by its feature; thin: parse options, call the library, print)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
