"""A small grammar of therapy objects, as data (``context_rules.json`` -> ``grammar``).

Resection of a metastasis is metastasectomy (taxonomy.md), whatever organ the metastasis is in and
whether the text names it: "resection of pancreatic oligometastases", "surgical treatment for
liver-only oligometastases", "reresection for jejunal metastasis", "successfully resected
metachronous gastric and gallbladder metastases". :func:`resects_metastasis` reads:

- *object form*: the resection, then one of ``object_preps`` ("of", "for"), then a
  ``METASTASIS_OBJECT`` cue within ``max_gap`` tokens, with no ``blockers`` word between
  ("resection of the primary tumour in patients with metastases" is not metastasectomy);
- *participle form*: a resection mention that is a participle (``participles``: "resected")
  directly before a ``METASTASIS_OBJECT`` cue within ``max_gap`` tokens, with no blocker between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdacmine.miner.nlp.cues import CueIndex
    from pdacmine.miner.nlp.mention import Mention

OBJECT_CUE = "METASTASIS_OBJECT"


@dataclass(frozen=True, slots=True)
class ObjectGrammar:
    object_preps: frozenset[str]
    participles: frozenset[str]
    blockers: frozenset[str]
    max_gap: int


def parse_grammar(raw: dict[str, Any]) -> ObjectGrammar:
    """The ``grammar`` object of the rules file (KeyError/TypeError on a malformed one)."""
    return ObjectGrammar(
        object_preps=frozenset(w.lower() for w in raw["object_preps"]),
        participles=frozenset(w.lower() for w in raw["participles"]),
        blockers=frozenset(w.lower() for w in raw["blockers"]),
        max_gap=int(raw["max_gap"]),
    )


def resects_metastasis(m: Mention, cues: CueIndex, words: list[str], grammar: ObjectGrammar) -> bool:
    """The resection mention ``m`` has a metastasis as its object (module docstring)."""
    found = cues.within(OBJECT_CUE, m.end, m.end + grammar.max_gap + 1)
    if not found:
        return False
    start = found[0][0]
    between = [w.lower() for w in words[m.end : start]]
    if any(w in grammar.blockers for w in between):
        return False
    if between and between[0] in grammar.object_preps:
        return True
    return m.text.lower().split()[-1] in grammar.participles
