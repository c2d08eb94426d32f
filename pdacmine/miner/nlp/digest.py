"""Digest of the rule code and the model file, part of the extractor version (issue #8).

Stored evidence carries the extractor version that made it; ``extract`` re-annotates every
article whose version differs. The version digests the vocabulary and the rules file, and here
also the Python sources that decide extraction (every ``miner/nlp/*.py`` module,
``miner/relations.py`` and ``miner/studytype.py``) and the claim model's file, so that a changed
rule or a retrained model re-extracts stored evidence on the next ``extract``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

NLP_DIR = Path(__file__).parent
MINER_DIR = NLP_DIR.parent


def rule_files() -> list[Path]:
    """The files whose content decides extraction (beside the vocabulary and the rules file)."""
    sources = [*sorted(NLP_DIR.glob("*.py")), MINER_DIR / "relations.py", MINER_DIR / "studytype.py"]
    return sources + sorted(NLP_DIR.glob("data/*model*.json"))


def files_digest(paths: Iterable[Path]) -> str:
    """8 hex digits over the names and bytes of ``paths`` (a missing file counts as empty)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode("utf-8") + b"\0")
        h.update(path.read_bytes() if path.exists() else b"")
        h.update(b"\0")
    return h.hexdigest()[:8]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of :func:`rule_files`, computed once per process."""
    return files_digest(rule_files())
