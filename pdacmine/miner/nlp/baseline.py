"""A naive keyword tagger: the yardstick the real pipeline must beat (``pdacmine evaluate --baseline``).

One regular expression per taxonomy key (organ, stage, mechanism category, therapy), built from the
vocabulary's surface forms: names and synonyms case-insensitively, symbols case-sensitively, on word
boundaries. Within one facet the longest match wins where two overlap ("nab-paclitaxel" is not also
"paclitaxel"), as in any dictionary tagger. Nothing else: no negation, no hedging, no context
("liver function" is a liver mention, "colorectal liver metastases" too), and pairs are every
co-occurrence within a sentence. Output has the shape of ``pdacmine annotate`` so the same scorer reads
both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdacmine.miner.nlp.vocab import Concept, Vocabulary, default_vocabulary

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


@dataclass(frozen=True, slots=True)
class Pattern:
    """The one regex of a taxonomy key, and the concept each surface form belongs to."""

    facet: str
    key: str
    regex: re.Pattern[str]
    forms: Mapping[str, Concept]
    first_words: frozenset[str] | None = None
    """Lower-cased first word of every form: a text with none of them cannot match (None: always try)."""


def _alternation(forms: Iterable[str]) -> str:
    """A regex matching any of ``forms``, longest first, as a character trie (fast on large vocabularies)."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_regex(trie)


def _trie_regex(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [re.escape(char) + _trie_regex(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


def build_patterns(vocab: Vocabulary) -> list[Pattern]:
    """One compiled regex per taxonomy key: organ and stage keys, mechanism categories, therapy keys."""
    groups: dict[tuple[str, str], list[Concept]] = defaultdict(list)
    for concept in vocab.concepts.values():
        key = concept.category if concept.facet == "MECHANISM" else concept.key
        if key:
            groups[(concept.facet, key)].append(concept)
    patterns = []
    for (facet, key), concepts in sorted(groups.items()):
        folded: dict[str, Concept] = {}
        exact: dict[str, Concept] = {}
        for concept in concepts:
            for term in _concept_terms(vocab, concept):
                (exact if term[1] else folded).setdefault(term[0] if term[1] else term[0].lower(), concept)
        parts = []
        if folded:
            parts.append(f"(?i:{_alternation(folded)})")
        if exact:
            parts.append(f"(?:{_alternation(exact)})")
        if parts:
            regex = re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)")
            firsts = [_WORD.match(form) for form in [*folded, *exact]]
            first_words = None if None in firsts else frozenset(m.group(0).lower() for m in firsts if m)
            patterns.append(Pattern(facet, key, regex, {**folded, **exact}, first_words))
    return patterns


def _concept_terms(vocab: Vocabulary, concept: Concept) -> Iterator[tuple[str, bool]]:
    for text in (concept.name, *concept.synonyms):
        low = text.strip().lower()
        if low and low not in vocab.stoplist:
            yield low, False
    for symbol in concept.symbols:
        if symbol.strip():
            yield symbol.strip(), True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences: a break after . ! ? before a capital or digit, and at newlines."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    text: str
    pattern: Pattern
    concept: Concept | None


def _matches(text: str, patterns: list[Pattern]) -> list[_Match]:
    found = []
    words = {w.lower() for w in _WORD.findall(text)}
    for pat in patterns:
        if pat.first_words is not None and words.isdisjoint(pat.first_words):
            continue  # a speed-up only: the regex could not match anyway
        for m in pat.regex.finditer(text):
            surface = m.group(0)
            concept = pat.forms.get(surface) or pat.forms.get(surface.lower())
            found.append(_Match(m.start(), m.end(), surface, pat, concept))
    found.sort(key=lambda e: (e.start, e.start - e.end))
    kept: list[_Match] = []
    for ent in found:
        facet = ent.pattern.facet
        if not any(k.pattern.facet == facet and k.start <= ent.start and ent.end <= k.end for k in kept):
            kept.append(ent)
    return kept


def _entity(ent: _Match) -> dict[str, Any]:
    pat, concept = ent.pattern, ent.concept
    return {
        "start": ent.start,
        "end": ent.end,
        "text": ent.text,
        "label": pat.facet,
        "key": concept.key if concept and pat.facet == "MECHANISM" else pat.key,
        "category": concept.category if concept else None,
        "concept_id": concept.concept_id if concept else None,
        "negated": False,
        "hedged": False,
    }


def _tuple(span: tuple[int, int], text: str, **slots: Any) -> dict[str, Any]:
    return {
        "sentence": text[span[0] : span[1]],
        "start": span[0],
        "end": span[1],
        "mechanism": slots.get("mechanism"),
        "stage": slots.get("stage"),
        "organ": slots.get("organ"),
        "therapy": slots.get("therapy"),
        "polarity": "associated",
        "negated": False,
        "hedged": False,
        "study_type": "other",
        "confidence": 0.5,
    }


def _sentence_tuples(span: tuple[int, int], text: str, ents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def distinct(label: str) -> list[dict[str, Any]]:
        return list(
            {e["key"] if label != "MECHANISM" else e["category"]: e for e in ents if e["label"] == label}.values()
        )

    organs = [e["key"] for e in distinct("ORGAN")]
    stages = [e["key"] for e in distinct("STAGE")]
    mechanisms = [
        {"key": e["key"], "category": e["category"], "concept_id": e["concept_id"]} for e in distinct("MECHANISM")
    ]
    therapies = [{"key": e["key"], "class": e["category"], "concept_id": e["concept_id"]} for e in distinct("THERAPY")]
    tuples = [_tuple(span, text, mechanism=m, organ=o) for m in mechanisms for o in organs]
    tuples += [_tuple(span, text, mechanism=m, stage=s) for m in mechanisms for s in stages]
    tuples += [_tuple(span, text, therapy=t, organ=o) for t in therapies for o in organs]
    return tuples


class BaselineTagger:
    """Regex tagger over one vocabulary; :meth:`annotate` returns one ``annotate``-shaped dict."""

    def __init__(self, vocab: Vocabulary | None = None) -> None:
        self.patterns = build_patterns(vocab if vocab is not None else default_vocabulary())

    def annotate(self, record: Mapping[str, Any]) -> dict[str, Any]:
        title, abstract = str(record.get("title") or ""), str(record.get("abstract") or "")
        text = f"{title}\n{abstract}" if title and abstract else title or abstract
        entities = [_entity(e) for e in _matches(text, self.patterns)]
        tuples = []
        for span in split_sentences(text):
            inside = [e for e in entities if span[0] <= e["start"] and e["end"] <= span[1]]
            tuples += _sentence_tuples(span, text, inside)
        return {"pmid": str(record.get("pmid") or ""), "text": text, "entities": entities, "tuples": tuples}


def annotate_records(
    records: Iterable[Mapping[str, Any]], *, vocab: Vocabulary | None = None
) -> Iterator[dict[str, Any]]:
    """Baseline output for each record (dicts with ``pmid``, ``title``, ``abstract``), in input order."""
    tagger = BaselineTagger(vocab)
    for record in records:
        yield tagger.annotate(record)
