"""The pipeline's tokenizer: scispaCy's ``combined_rule_tokenizer`` with four additions.

1. A hyphen or slash between two letters/digits is its own token, so that "ZEB1-driven",
   "gemcitabine/nab-paclitaxel" and "IL-6/STAT3" expose the names inside them. Vocabulary
   patterns are tokenized by the same tokenizer, so "IL-6" still matches as three tokens.
   So are a closing bracket and the hyphen after it before a word, so that a drug written with
   its formulation's short form in brackets ("albumin-bound (nab)-paclitaxel") is three names.
2. Abbreviations that end with a period stay one token ("e.g.", "i.e.", "vs.", "approx.",
   "et al.", "Fig."), so the sentence splitter never breaks after them.
3. A suspended hyphen is its own token ("chemo- and immunotherapy", "pre- and postoperative"), so
   the word before it ("chemo") is matched as written; so is a genotype written after a symbol
   ("Cxcr2−/−", "Rag2-/-", "Smad4+/-").
4. Nothing else: offsets always index into the original text (no text is rewritten).

The tokenizer also keeps the text it was given on the Doc (``Doc._.pdac_text``), so that
``pdac_sentence_fixes`` need not join it back from the tokens.
"""

from __future__ import annotations

import re
import warnings

from scispacy.custom_tokenizer import combined_rule_tokenizer
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import set_pdac_value

#: Letters (Latin and Greek) or digits on both sides of a hyphen or slash.
_JOINER_INFIX = (
    r"(?<=[0-9A-Za-z\u0370-\u03ff])[-/\u2010\u2011\u2013\u2212](?=[0-9A-Za-z\u0370-\u03ff])"
    r"|(?<=[0-9A-Za-z])\)(?=[-\u2010\u2011\u2013\u2212][A-Za-z])"  # "(nab)-paclitaxel": the bracket ...
    r"|(?<=\))[-\u2010\u2011\u2013\u2212](?=[A-Za-z])"  # ... and the hyphen after it
)

#: The opening bracket of "(nab)-paclitaxel" (a short form in brackets, a hyphen, a word).
_BRACKET_PREFIX = r"^\((?=[0-9A-Za-z]+\)[-\u2010\u2011\u2013\u2212][A-Za-z])"

#: A hyphen that ends a word (suspended hyphen: "chemo- and immunotherapy").
_SUSPENDED_HYPHEN = r"(?<=[0-9A-Za-z\u0370-\u03ff])[-\u2010\u2011]$"

#: A genotype written after a gene symbol ("Cxcr2−/−", "Rag2-/-", "Smad4+/-", "Kras fl/fl" written joined):
#: its own token, so that the symbol before it is matched.
_GENOTYPE_SUFFIX = r"(?<=[0-9A-Za-z])(?:[-+\u2010\u2011\u2013\u2212]/[-+\u2010\u2011\u2013\u2212]|fl/fl|flox/flox)$"

#: Period-final abbreviations kept as one token, in the casings they appear in.
ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "vs.",
    "cf.",
    "ca.",
    "approx.",
    "resp.",
    "al.",
    "fig.",
    "figs.",
    "ref.",
    "refs.",
    "suppl.",
    "no.",
    "nos.",
    "vol.",
    "dr.",
    "prof.",
    "etc.",
    "viz.",
    "incl.",
    "max.",
    "min.",
    "avg.",
    "sp.",
    "spp.",
    "inc.",
    "ltd.",
    "co.",
    "mr.",
    "ms.",
    "mrs.",
    "st.",
    "jr.",
)


def _casings(word: str) -> set[str]:
    return {word, word.capitalize(), word.upper()}


class TextKeepingTokenizer(Tokenizer):
    """spaCy's Tokenizer that also stores the text it tokenized as ``Doc._.pdac_text`` (a Doc's
    text is the input text: spaCy's tokenization is non-destructive)."""

    def __call__(self, text: str) -> Doc:
        doc = super().__call__(text)
        set_pdac_value(doc, "pdac_text", text)
        return doc


def make_tokenizer(nlp: Language) -> Tokenizer:
    """scispaCy's rule tokenizer for ``nlp`` with the additions described in the module docstring."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scispaCy's regex: "Possible set union"
        rule_tokenizer = combined_rule_tokenizer(nlp)
        infix = rule_tokenizer.infix_finditer.__self__
        prefix = rule_tokenizer.prefix_search.__self__
        suffix = rule_tokenizer.suffix_search.__self__
        tokenizer = TextKeepingTokenizer(
            nlp.vocab,
            rules=rule_tokenizer.rules,
            prefix_search=re.compile(f"{prefix.pattern}|{_BRACKET_PREFIX}").search,
            suffix_search=re.compile(f"{_GENOTYPE_SUFFIX}|{suffix.pattern}|{_SUSPENDED_HYPHEN}").search,
            infix_finditer=re.compile(f"{infix.pattern}|{_JOINER_INFIX}").finditer,
            token_match=rule_tokenizer.token_match,
            url_match=rule_tokenizer.url_match,
            faster_heuristics=rule_tokenizer.faster_heuristics,
        )
    for abbreviation in ABBREVIATIONS:
        for form in _casings(abbreviation):
            tokenizer.add_special_case(form, [{ORTH: form}])
    return tokenizer
