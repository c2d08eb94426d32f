"""The vocabulary and rules of the pdac components, as registered functions of the spaCy config.

The components take them through their factory config, never from a global::

    nlp.add_pipe("pdac_entity_matcher", config={
        "vocabulary": {"@misc": "pdacmine.vocabulary.v1", "user_file": "my_terms.tsv"},
        "rules": {"@misc": "pdacmine.rules.v1", "path": null},
    })

``user_file``/``path`` None mean the shipped data (plus the user's vocabulary file), loaded once per
process; a given file is read once per change of its modification time, so components sharing
one vocabulary share one object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacy.util import registry

from pdacmine.miner.nlp.rules import Rules, default_rules, load_rules
from pdacmine.miner.nlp.vocab import Vocabulary, default_vocabulary, load_vocabulary

VOCABULARY_FUNCTION = "pdacmine.vocabulary.v1"
RULES_FUNCTION = "pdacmine.rules.v1"

_loaded: dict[tuple[str, str, int, int], Any] = {}


def vocabulary_ref(user_file: str | Path | None = None) -> dict[str, Any]:
    """The config block that names a vocabulary (None: the shipped one plus the user's file)."""
    return {"@misc": VOCABULARY_FUNCTION, "user_file": None if user_file is None else str(user_file)}


def rules_ref(path: str | Path | None = None) -> dict[str, Any]:
    """The config block that names a rules file (None: the shipped ``context_rules.json``)."""
    return {"@misc": RULES_FUNCTION, "path": None if path is None else str(path)}


def _cached(kind: str, path: Path, load: Any) -> Any:
    try:
        stat = path.stat()
        stamp = (kind, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return load(path)  # the loader names the missing file
    if stamp not in _loaded:
        if len(_loaded) > 8:
            _loaded.clear()
        _loaded[stamp] = load(path)
    return _loaded[stamp]


@registry.misc(VOCABULARY_FUNCTION)
def vocabulary_resource(user_file: str | None = None) -> Vocabulary:
    """The shipped vocabulary plus ``user_file`` (default: the user's vocabulary file)."""
    if user_file is None:
        return default_vocabulary()
    return _cached("vocabulary", Path(user_file), lambda p: load_vocabulary(user_file=p))


@registry.misc(RULES_FUNCTION)
def rules_resource(path: str | None = None) -> Rules:
    """The rules of ``path`` (default: the shipped ``context_rules.json``)."""
    if path is None:
        return default_rules()
    return _cached("rules", Path(path), load_rules)
