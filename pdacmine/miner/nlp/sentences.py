"""``pdac_sentence_fixes``: sentence boundaries for PubMed titles and abstracts.

Rules (one pass over the tokens, no model):

- a sentence ends after ".", "!" or "?" unless the next word starts in lower case or is a
  closing bracket or comma ("p < 0.05) ." stays whole);
- period-final abbreviations ("e.g.", "et al.", "Fig.", "vs.", "approx.", "no.") are single
  tokens (see :mod:`pdacmine.miner.nlp.tokenize`), so they never end a sentence;
- a line break always ends a sentence: the title, and each "LABEL: text" paragraph of a
  structured abstract, start new sentences.

Also sets ``Doc._.pdac_sent_starts``: the first token index of every sentence, ascending, which
the other pdac components use to find a token's sentence with :func:`bisect.bisect_right`, and
turn into token ranges with :func:`doc_sentence_bounds`; and the token texts, their character
offsets and the text (``Doc._.pdac_words``, ``pdac_offsets``, ``pdac_text``), read from the Doc's
arrays in one pass so that no component creates a ``Token`` object to read them.
"""

from __future__ import annotations

from itertools import accumulate
from operator import add

import numpy
from spacy.attrs import ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import pdac_value, register_extensions

_ENDERS = frozenset({".", "!", "?", "…"})
_NO_START = frozenset({")", "]", "}", ",", ";", ":", ".", "%"})
_TRAILING = ("", " ")  # a token's trailing white space, by its SPACY flag
_NOT_START = numpy.uint64(2**64 - 1)  # SENT_START -1 as from_array reads it (uint64)


class _Texts(dict[int, str]):
    """Token text by orth ID, filled from the StringStore on first use (a dict lookup after that)."""

    def __init__(self, strings: StringStore) -> None:
        super().__init__()
        self.strings = strings

    def __missing__(self, orth: int) -> str:
        text = self[orth] = self.strings[orth]
        return text


def sentence_starts(words: list[str]) -> list[int]:
    """Indices of the tokens that start a sentence, for the token texts ``words``."""
    starts = [0] if words else []
    pending = False  # a sentence ender was seen; the next word may start a sentence
    for i, word in enumerate(words):
        if i == 0:
            continue
        if "\n" in word:
            pending = True
            continue
        if word.isspace():
            continue
        if pending:
            first = word[0]
            if "\n" in words[i - 1] or not (first.islower() or word in _NO_START):
                starts.append(i)
            pending = False
        if word in _ENDERS:
            pending = True
    return starts


def sentence_bounds(starts: list[int], n_tokens: int) -> list[tuple[int, int]]:
    """Token range ``[start, end)`` of each sentence, for the sentence ``starts`` of ``n_tokens`` tokens."""
    return [(s, starts[i + 1] if i + 1 < len(starts) else n_tokens) for i, s in enumerate(starts)]


def doc_sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Token range of each sentence of a processed Doc (one sentence from token 0 when none was set)."""
    return sentence_bounds(pdac_value(doc, "pdac_sent_starts") or [0], len(doc))


@Language.factory(
    "pdac_sentence_fixes",
    assigns=[
        "token.is_sent_start",
        "doc._.pdac_sent_starts",
        "doc._.pdac_text",
        "doc._.pdac_words",
        "doc._.pdac_offsets",
    ],
    requires=[],
)
class SentenceFixes:
    """Sentence segmentation that survives "e.g.", "et al.", "Fig. 2", "vs." and structured labels."""

    def __init__(self, nlp: Language, name: str = "pdac_sentence_fixes") -> None:
        register_extensions()
        self.name = name
        self._texts = _Texts(nlp.vocab.strings)

    def __call__(self, doc: Doc) -> Doc:
        ext = doc._
        if not len(doc):
            ext.pdac_sent_starts, ext.pdac_words, ext.pdac_offsets, ext.pdac_text = [], [], [], doc.text
            return doc
        orths, spaces = doc.to_array([ORTH, SPACY]).T.tolist()
        words = list(map(self._texts.__getitem__, orths))
        ext.pdac_words = words
        if pdac_value(doc, "pdac_text") is None:  # the pipeline's tokenizer keeps the text; others do not
            ext.pdac_text = "".join(map(add, words, map(_TRAILING.__getitem__, spaces)))
        offsets = list(accumulate(map(add, map(len, words), spaces), initial=0))
        offsets.pop()  # the end of the text
        ext.pdac_offsets = offsets
        starts = sentence_starts(words)
        flags = numpy.full((len(doc), 1), _NOT_START, dtype="uint64")
        flags[starts, 0] = 1
        doc.from_array([SENT_START], flags)  # type: ignore[arg-type]
        ext.pdac_sent_starts = starts
        return doc
