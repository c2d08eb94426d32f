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
turn into token ranges with :func:`doc_sentence_bounds`.
"""

from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import register_extensions

_ENDERS = frozenset({".", "!", "?", "…"})
_NO_START = frozenset({")", "]", "}", ",", ";", ":", ".", "%"})


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
    return sentence_bounds(doc._.pdac_sent_starts or [0], len(doc))


@Language.factory(
    "pdac_sentence_fixes",
    assigns=["token.is_sent_start", "doc._.pdac_sent_starts", "doc._.pdac_text", "doc._.pdac_words"],
    requires=[],
)
class SentenceFixes:
    """Sentence segmentation that survives "e.g.", "et al.", "Fig. 2", "vs." and structured labels."""

    def __init__(self, nlp: Language, name: str = "pdac_sentence_fixes") -> None:
        register_extensions()
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc._.pdac_sent_starts, doc._.pdac_words, doc._.pdac_text = [], [], doc.text
            return doc
        words, parts = [], []
        for token in doc:
            words.append(token.text)
            parts.append(token.text_with_ws)
        doc._.pdac_words = words
        doc._.pdac_text = "".join(parts)
        starts = sentence_starts(words)
        flags = numpy.full((len(doc), 1), -1, dtype="int32")
        flags[starts, 0] = 1
        doc.from_array([SENT_START], flags.astype("uint64"))  # type: ignore[arg-type]
        doc._.pdac_sent_starts = starts
        return doc
