"""Evidence identity and reviewer overrides, shared by extraction, ranking and review."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

#: The four slots of a tuple, in finding-key order.
SLOTS = ("mechanism_key", "stage", "organ", "therapy_key")
#: Slots a reviewer may correct (category/class follow the concept via the vocabulary).
CORRECTABLE = ("mechanism_key", "mechanism_category", "stage", "organ", "therapy_key", "therapy_class", "polarity")

_SPACE = re.compile(r"\s+")


def normalise_sentence(sentence: str) -> str:
    return _SPACE.sub(" ", sentence).strip().lower()


def evidence_key(
    pmid: str, sentence: str, mechanism_key: str | None, stage: str | None, organ: str | None, therapy_key: str | None
) -> str:
    """Stable 40-hex key of one machine tuple: same PMID, sentence and slots -> same key.

    Independent of extractor version and offsets, so review decisions keyed by it
    survive re-extraction.
    """
    parts = [pmid.strip(), normalise_sentence(sentence), *(s or "" for s in (mechanism_key, stage, organ, therapy_key))]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def finding_key(mechanism_key: str | None, stage: str | None, organ: str | None, therapy_key: str | None) -> str:
    """Human-readable key of a finding: ``mechanism|stage|organ|therapy`` with ``-`` for empty."""
    return "|".join(s or "-" for s in (mechanism_key, stage, organ, therapy_key))


def effective_slots(machine: Mapping[str, Any], corrections: Mapping[str, Any] | None) -> dict[str, Any]:
    """Machine slot values with a reviewer's corrections applied (a correction to None clears a slot)."""
    out = {k: machine.get(k) for k in CORRECTABLE}
    for k, v in (corrections or {}).items():
        if k in CORRECTABLE:
            out[k] = v
    return out
