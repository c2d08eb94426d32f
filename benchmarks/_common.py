"""What the benchmarks share: a measurement in a fresh process, and that process's peak RSS.

The scripts run as ``python benchmarks/NAME.py`` (so this module is imported as ``_common``). A
script measures in a child by re-running itself as ``NAME.py --child ARGS...``; the child prints
one JSON object as its last line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM (reset by exec, unlike ru_maxrss, which keeps the parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run ``script --child ARGS`` in a fresh Python process, so its peak RSS is its own; its JSON result."""
    out = subprocess.run([sys.executable, script, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
