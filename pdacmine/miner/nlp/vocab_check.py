"""Checking the vocabulary (``pdacmine vocab --check``) and adding the user's own terms (``pdacmine vocab --add``)."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import (
    FACETS,
    MODALITY_KEYS,
    Concept,
    Vocabulary,
    default_vocabulary,
    read_concepts,
    user_vocab_path,
)
from pdacmine.miner.nlp.vocab_tsv import COLUMNS

_KEY = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding of :func:`check_vocabulary`; ``error`` issues make the vocabulary unusable."""

    level: str  # "error" | "warning"
    message: str


def duplicate_forms(vocab: Vocabulary) -> dict[tuple[str, str], list[str]]:
    """(facet, surface form) -> keys, for forms that map to more than one concept of the same facet.

    Case-sensitive symbols are compared exactly; a case-insensitive form collides with any form equal to it
    ignoring case. Stop-listed forms are ignored (they are never matched).
    """
    exact: dict[tuple[str, str], set[str]] = defaultdict(set)
    folded: dict[tuple[str, str], set[str]] = defaultdict(set)
    for t in vocab.terms():
        (exact[(t.facet, t.text)] if t.case_sensitive else folded[(t.facet, t.text.lower())]).add(t.key)
    dups: dict[tuple[str, str], list[str]] = {}
    for (facet, text), keys in exact.items():
        clash = keys | folded.get((facet, text.lower()), set())
        if len(clash) > 1:
            dups[(facet, text)] = sorted(clash)
    for (facet, text), keys in folded.items():
        if len(keys) > 1:
            dups[(facet, text)] = sorted(keys)
    return dict(sorted(dups.items()))


def check_vocabulary(vocab: Vocabulary) -> list[Issue]:
    """Validate concepts against the taxonomy: categories and classes, regimen components, taxonomy keys
    present, surface forms shared by two concepts of one facet, curated forms that the stoplist hides."""
    issues: list[Issue] = []
    for facet in ("MECHANISM", "THERAPY"):
        known = vocab.category_names(facet)
        what = "category" if facet == "MECHANISM" else "class"
        for c in vocab.by_facet(facet):
            if c.category not in known:
                hint = difflib.get_close_matches(c.category or "", sorted(known), n=1)
                tip = f"; did you mean {hint[0]}?" if hint else f"; known: {', '.join(sorted(known))}"
                issues.append(Issue("error", f"{facet} {c.key} ({c.source}): unknown {what} {c.category!r}{tip}"))
    for c in vocab.by_facet("THERAPY"):
        for part in c.components:
            if vocab.get("THERAPY", part) is None:
                issues.append(Issue("error", f"THERAPY {c.key}: component {part!r} is not a therapy key"))
    for facet in ("ORGAN", "STAGE"):
        taxonomy = vocab.category_names(facet)
        for key in sorted(set(taxonomy) - {c.key for c in vocab.by_facet(facet)}):
            issues.append(Issue("error", f"{facet} {key}: taxonomy key missing from the vocabulary"))
        for c in vocab.by_facet(facet):
            if taxonomy and c.key not in taxonomy:
                issues.append(
                    Issue("warning", f"{facet} {c.key} ({c.source}): not a taxonomy key; extracts will carry it")
                )
    for key in MODALITY_KEYS:
        if vocab.get("THERAPY", key) is None:
            issues.append(Issue("error", f"THERAPY {key}: taxonomy modality key missing from the vocabulary"))
    for (facet, text), keys in duplicate_forms(vocab).items():
        issues.append(Issue("warning", f"{facet} {text!r} maps to {len(keys)} concepts: {', '.join(keys)}"))
    for c in vocab.concepts.values():
        if c.source.startswith("curated") or c.source == "user":
            hidden = [t for t, cs in c.surface_forms() if vocab.is_stopped(t, cs)]
            if hidden:
                issues.append(
                    Issue("warning", f"{c.facet} {c.key}: stop-listed form(s) never matched: {', '.join(hidden)}")
                )
    return issues


def _clean_form(text: str) -> str:
    form = " ".join(text.split())
    if not form or "\t" in text or "|" in form:
        raise InputError(f"bad surface form {text!r}: it must be non-empty and contain no tab or '|'")
    return form


def add_user_terms(
    vocab: Vocabulary,
    facet: str,
    key: str,
    forms: Iterable[str],
    category: str | None = None,
    symbol: bool = False,
    path: Path | None = None,
) -> tuple[Concept, bool]:
    """Append ``forms`` for (facet, key) to the user's vocabulary file; returns (the row written, new concept?).

    A new MECHANISM concept needs a ``category``, a new THERAPY concept a class; ORGAN and STAGE keys are the
    taxonomy's. ``symbol`` makes the forms case-sensitive symbols instead of case-insensitive synonyms.
    """
    facet = facet.strip().upper()
    if facet not in FACETS:
        raise InputError(f"unknown facet {facet!r}; use one of {', '.join(FACETS)}")
    key = key.strip().lower()
    if not _KEY.match(key):
        raise InputError(f"bad key {key!r}: use lower-case letters, digits and '-' (e.g. 'nab-paclitaxel')")
    clean = list(dict.fromkeys(_clean_form(f) for f in forms))
    if not clean:
        raise InputError("give at least one synonym to add")
    existing = vocab.get(facet, key)
    known = vocab.category_names(facet)
    if existing is None and facet in ("ORGAN", "STAGE") and known and key not in known:
        hint = vocab.suggest(facet, key)
        tip = f"did you mean {', '.join(hint)}?" if hint else f"the {facet} keys are {', '.join(sorted(known))}"
        raise InputError(f"{facet} {key!r} is not a taxonomy key; {tip}")
    if category is not None and facet in ("MECHANISM", "THERAPY") and category not in known:
        hint = difflib.get_close_matches(category, sorted(known), n=2)
        raise InputError(
            f"unknown {facet} category {category!r}" + (f"; did you mean {', '.join(hint)}?" if hint else "")
        )
    if existing is None and facet in ("MECHANISM", "THERAPY") and category is None:
        what = (
            "--category (one of the 22 mechanism categories)"
            if facet == "MECHANISM"
            else "--category (a therapy class)"
        )
        raise InputError(f"{facet} {key!r} is a new concept: give {what}")
    if existing is not None and category is not None and existing.category and category != existing.category:
        raise InputError(f"{facet} {key} already has category {existing.category}; a user row cannot change it")
    target = path if path is not None else user_vocab_path()
    if target.exists():
        list(read_concepts(target))  # refuse to append to a malformed file
    concept = Concept(
        key=key,
        facet=facet,
        category=category or (existing.category if existing else None),
        name=existing.name if existing else clean[0],
        synonyms=() if symbol else tuple(clean),
        symbols=tuple(clean) if symbol else (),
        source="user",
    )
    _append_row(target, concept)
    default_vocabulary.cache_clear()
    return concept, existing is None


def _append_row(path: Path, c: Concept) -> None:
    values = (c.key, c.facet, c.category or "", c.name, "", "", "|".join(c.synonyms), "|".join(c.symbols), "", c.source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8", newline="") as fh:
            if new:
                fh.write(
                    "# pdacmine user vocabulary: a concept, or extra forms of one, per line (pdacmine vocab --help)\n"
                )
                fh.write("\t".join(COLUMNS) + "\n")
            fh.write("\t".join(values) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
