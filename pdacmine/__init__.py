"""pdacmine: mine the literature on metastasis of pancreatic ductal adenocarcinoma.

The library API is :class:`pdacmine.Workspace` (``pdacmine/jobs/workspace.py``), loaded on first
use so that ``import pdacmine`` stays cheap::

    from pdacmine import Workspace
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Workspace", "__version__"]

if TYPE_CHECKING:
    from pdacmine.jobs.workspace import Workspace


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from pdacmine.jobs.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'pdacmine' has no attribute {name!r}")
