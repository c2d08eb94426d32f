"""``pdac_abbreviations``: scispaCy's abbreviation detector (Schwartz & Hearst 2003), faster.

Same output as scispaCy's ``abbreviation_detector`` (``Doc._.abbreviations``: short-form spans
whose ``Span._.long_form`` is the long-form span) and the same algorithm: scispaCy's
``filter_matches`` and ``find_abbreviation`` do the work. Only the search for parenthesised
candidates and for later occurrences of a short form differs: one pass over the token texts
instead of a ``Matcher`` with an open-ended ``{"OP": "+"}`` pattern and a matcher rebuilt per
document, which made the detector one of the slowest steps of the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator

from scispacy.abbreviation import filter_matches, find_abbreviation
from spacy.language import Language
from spacy.tokens import Doc, Span

from pdacmine.miner.nlp.mention import doc_words, register_extensions

MAX_INSIDE = 10


def _positions(words: list[str], word: str) -> Iterator[int]:
    """The indices of ``word`` in ``words``, ascending (``list.index`` scans in C)."""
    i = -1
    while True:
        try:
            i = words.index(word, i + 1)
        except ValueError:
            return
        yield i


def parenthesised(words: list[str]) -> list[tuple[int, int, int]]:
    """(0, start, end) for each "( ... )" group of at most ``MAX_INSIDE`` tokens, brackets excluded."""
    out = []
    for i in _positions(words, "("):
        for j in range(i + 1, min(len(words), i + MAX_INSIDE + 2)):
            if words[j] == "(":
                break
            if words[j] == ")":
                if j > i + 1:
                    out.append((0, i + 1, j))
                break
    return out


def occurrences(words: list[str], short: list[str]) -> list[tuple[int, int]]:
    """Token spans where the token sequence ``short`` occurs."""
    n = len(short)
    return [(i, i + n) for i in _positions(words, short[0]) if words[i : i + n] == short]


def detect(doc: Doc) -> list[Span]:
    """Short-form spans with ``_.long_form`` set, as scispaCy's detector returns them."""
    words = doc_words(doc)
    if "(" not in words:
        return []
    seen_long: set[str] = set()
    seen_short: set[str] = set()
    found: list[Span] = []
    for long_candidate, short_candidate in filter_matches(parenthesised(words), doc):
        short, long = find_abbreviation(long_candidate, short_candidate)
        if long is None or long.text in seen_long or short.text in seen_short:
            continue
        seen_long.add(long.text)
        seen_short.add(short.text)
        for start, end in occurrences(words, [t.text for t in short]):
            span = doc[start:end]
            span._.long_form = long
            found.append(span)
    return found


@Language.factory("pdac_abbreviations", assigns=["doc._.abbreviations"], requires=["doc._.pdac_words"])
class AbbreviationDetector:
    """scispaCy's Schwartz & Hearst abbreviation detection (see the module docstring)."""

    def __init__(self, nlp: Language, name: str = "pdac_abbreviations") -> None:
        register_extensions()
        if not Doc.has_extension("abbreviations"):
            Doc.set_extension("abbreviations", default=[])
        if not Span.has_extension("long_form"):
            Span.set_extension("long_form", default=None)
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.abbreviations = detect(doc)
        return doc
