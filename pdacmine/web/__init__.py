"""The browser workspace (``pdacmine serve``): a thin layer over the same library calls as the CLI."""

from __future__ import annotations

from pdacmine.web.app import create_app, warm_up

__all__ = ["create_app", "warm_up"]
