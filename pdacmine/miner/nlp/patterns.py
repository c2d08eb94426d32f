"""Vocabulary -> PhraseMatcher patterns, with the spelling variants real abstracts use.

Two matchers cover the vocabulary (spaCy's PhraseMatcher is nearly flat in the number of
phrases, so thousands of surface forms cost little per document):

- ``NORM`` for synonyms, matched case-insensitively. A lexeme's NORM is its lower-case
  form, except that plural and British spellings of every vocabulary word are given the
  vocabulary word as NORM once, when the pipeline is built ("metastases" -> "metastasis",
  "lungs" -> "lung", "tumour" -> "tumor", "colonisation" -> "colonization"). Pattern and
  text are compared on these norms, so a vocabulary that lists only the singular American
  form still finds the others, with no per-token work at run time. The typographic hyphens
  and dashes of typeset abstracts (U+2010, U+2011, U+2012, U+2013, U+2212) have the NORM "-", so
  "nab‑paclitaxel" and "albumin‐bound" match the vocabulary's ASCII spelling.
- ``ORTH`` for symbols (gene symbols, abbreviations), matched case-sensitively, with the
  variants "PD-L1"/"PDL1", "CAF"/"CAFs", "ZEB1"/"Zeb1" (mouse nomenclature) and Greek
  letters spelled out ("TGF-β"/"TGF-beta").

Short all-capital synonyms ("EMT", "CAF") are treated as symbols so they never match an
English word in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import cast

from spacy.attrs import NORM
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.strings import hash_string  # type: ignore[attr-defined]
from spacy.tokenizer import Tokenizer

from pdacmine.miner.nlp.vocab import Concept, Vocabulary

GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa", "θ": "theta"}
_GREEK_NAME = re.compile(r"(?<=[-\s\d])(alpha|beta|gamma|delta|epsilon|kappa|theta)\b|^(alpha|beta|gamma|kappa)\b")
_WORD = re.compile(r"[A-Za-z]+")
_BRITISH = (
    (re.compile(r"(?<=[a-z])or$"), "our"),  # tumor -> tumour
    (re.compile(r"ization$"), "isation"),
    (re.compile(r"ize$"), "ise"),
    (re.compile(r"izes$"), "ises"),
    (re.compile(r"ized$"), "ised"),
    (re.compile(r"yze$"), "yse"),
    (re.compile(r"(?<=[aeiou])ling$"), "lling"),  # signaling -> signalling
    (re.compile(r"(?<=[aeiou])led$"), "lled"),
    (re.compile(r"^esophag"), "oesophag"),
    (re.compile(r"^hem(?=at|o|or)"), "haem"),
    (re.compile(r"^leuk"), "leuc"),
    (re.compile(r"ter$"), "tre"),  # center -> centre
)


def is_symbol_like(form: str) -> bool:
    """Short all-capital forms ("EMT", "CAFs", "PD-L1") are matched case-sensitively."""
    letters = [c for c in form if c.isalpha()]
    return bool(letters) and len(form) <= 6 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def greek_variants(form: str) -> set[str]:
    out = {form}
    for letter, name in GREEK.items():
        if letter in form:
            out.add(form.replace(letter, name))
    spelled = _GREEK_NAME.sub(lambda m: _spelled_to_letter(m.group(0)), form)
    if spelled != form:
        out.add(spelled)
    return out


def _spelled_to_letter(name: str) -> str:
    for letter, spelled in GREEK.items():
        if spelled == name.lower():
            return letter
    return name


def joiner_variants(form: str) -> set[str]:
    """ "IL-6" -> {"IL-6", "IL6", "IL 6"}; "PD-L1/2" keeps its slash."""
    out = {form}
    if form.count("-") == 1:  # "hsa-miR-21-5p" is never written "hsamiR215p"
        out.update({form.replace("-", ""), form.replace("-", " ")})
    return out


def synonym_variants(form: str) -> set[str]:
    out: set[str] = set()
    for g in greek_variants(form.lower()):
        out.update(joiner_variants(g))
    return {v for v in out if len(v) > 1}


def symbol_variants(symbol: str, stoplist: frozenset[str]) -> set[str]:
    out: set[str] = set()
    for g in greek_variants(symbol):
        out.update(joiner_variants(g))
    extra: set[str] = set()
    for v in out:
        if len(v) >= 2 and v[-1].isupper() and v[-1].isalpha():
            extra.add(v + "s")  # CAF -> CAFs, CTC -> CTCs
        if len(v) >= 4 and v[-1] in "AB" and (v[-2].isdigit() or v[-2] == "R"):
            # PDGFRB -> PDGFRb, PDGFRβ; HIF1A -> HIF1a, HIF1α
            extra.update({v[:-1] + v[-1].lower(), v[:-1] + ("α" if v[-1] == "A" else "β")})
        if v.isupper() and v.isalnum() and (len(v) >= 4 or any(c.isdigit() for c in v)):
            title = v[0] + v[1:].lower()  # ZEB1 -> Zeb1, KRAS -> Kras
            if title.lower() not in stoplist:
                extra.add(title)
    return {v for v in out | extra if len(v) > 1}


def plural_forms(word: str) -> set[str]:
    """Regular English plurals of a vocabulary word (metastasis -> metastases, lung -> lungs)."""
    if len(word) < 3 or not word.isalpha():
        return set()
    if word.endswith("sis"):
        return {word[:-3] + "ses"}
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return {word + "es"}
    if word.endswith("y") and word[-2] not in "aeiou":
        return {word[:-1] + "ies"}
    if word.endswith("um"):
        return {word + "s", word[:-2] + "a"}
    return {word + "s"}


def british_forms(word: str) -> set[str]:
    return {pattern.sub(repl, word) for pattern, repl in _BRITISH if pattern.search(word)} - {word}


def concept_forms(concept: Concept, vocab: Vocabulary) -> Iterator[tuple[str, bool]]:
    """(surface form, case_sensitive) for every variant of a concept's names, stop-listed forms left out."""
    # a stage's name is a label ("primary tumor", "circulation"); its synonyms say what counts
    names = concept.synonyms if concept.facet == "STAGE" and concept.synonyms else (concept.name, *concept.synonyms)
    not_titled = vocab.stoplist | vocab.plain_forms(concept.facet)
    for form in names:
        form = form.strip()
        if not form or vocab.is_stopped(form, False):
            continue
        if is_symbol_like(form):
            variants, case_sensitive = symbol_variants(form, not_titled), True
        else:
            variants, case_sensitive = synonym_variants(form), False
        for v in variants:
            if v == form or not vocab.is_stopped(v, case_sensitive):
                yield v, case_sensitive
    for symbol in concept.symbols:
        symbol = symbol.strip()
        if symbol and not vocab.is_stopped(symbol, True):
            for v in symbol_variants(symbol, not_titled):
                if v == symbol or not vocab.is_stopped(v, True):
                    yield v, True


class VariantNorms:
    """NORM getter for new lexemes: plural/British variants of vocabulary words -> the word.

    Installed in ``nlp.vocab.lex_attr_getters``, so a variant gets its norm when the text
    first creates its lexeme: nothing is created up front. Other strings keep spaCy's norm.
    """

    def __init__(self, default: Callable[[str], str], variants: dict[str, str]) -> None:
        self.default = default
        self.variants = variants

    def __call__(self, string: str) -> str:
        base = self.variants.get(string.lower())
        return base if base is not None else self.default(string)


#: typographic hyphens and dashes that stand for the ASCII hyphen in a name ("nab‑paclitaxel")
DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2212")


def variant_map(words: Iterable[str]) -> dict[str, str]:
    """Plural and British spellings of each vocabulary word -> the word (all lower case), and
    the typographic dashes -> "-"."""
    out: dict[str, str] = dict.fromkeys(DASHES, "-")
    for word in sorted(set(words)):
        variants = plural_forms(word)
        for british in british_forms(word):
            variants |= {british, *plural_forms(british)}
        for variant in variants - {word}:
            out.setdefault(variant, word)
    return out


def install_variant_norms(nlp: Language, words: Iterable[str]) -> VariantNorms:
    """Make the plural/British spellings of ``words`` share the word's NORM in ``nlp.vocab``."""
    variants = variant_map(words)
    getters = nlp.vocab.lex_attr_getters  # type: ignore[attr-defined]
    getter = getters.get(NORM)
    if isinstance(getter, VariantNorms):
        getter.variants.update(variants)
    else:
        getter = VariantNorms(getter or str.lower, variants)
        getters[NORM] = getter
    for variant, base in variants.items():  # lexemes created before the getter was installed
        for cased in {variant, variant.capitalize(), variant.upper()}:
            if cased in nlp.vocab:
                nlp.vocab[cased].norm_ = base
    return getter


class PatternTokens:
    """(ORTH, NORM) strings of the tokens of a surface form, as the pipeline's tokenizer makes them.

    A whitespace-separated chunk that no prefix, suffix, infix or special case touches is one
    token (checked with the tokenizer's own regular expressions); only the others go through
    the tokenizer. Results are memoised per chunk.
    """

    def __init__(self, nlp: Language, norm: Callable[[str], str]) -> None:
        self.tokenizer = cast(Tokenizer, nlp.tokenizer)
        self.norm = norm
        self.memo: dict[str, tuple[tuple[str, str], ...]] = {}

    def _plain(self, chunk: str) -> bool:
        t = self.tokenizer
        return not (
            chunk in t.rules
            or (t.prefix_search is not None and t.prefix_search(chunk))
            or (t.suffix_search is not None and t.suffix_search(chunk))
            or (t.infix_finditer is not None and next(t.infix_finditer(chunk), None) is not None)
            or (t.url_match is not None and t.url_match(chunk))
        )

    def __call__(self, form: str) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        for chunk in form.split():
            tokens = self.memo.get(chunk)
            if tokens is None:
                if self._plain(chunk):
                    tokens = ((chunk, self.norm(chunk)),)
                else:
                    tokens = tuple((tok.text, tok.norm_) for tok in self.tokenizer(chunk))
                self.memo[chunk] = tokens
            out.extend(tokens)
        return tuple(out)


def match_label(concept: Concept) -> str:
    return f"{concept.facet}:{concept.key}"


def build_vocab_matchers(nlp: Language, vocab: Vocabulary) -> tuple[PhraseMatcher, PhraseMatcher]:
    """(NORM matcher, ORTH matcher) over every concept; match IDs are ``"FACET:key"``.

    Patterns are added as tuples of attribute hashes (no Doc per pattern), which keeps
    building the matchers for tens of thousands of surface forms to a few seconds.
    """
    forms: dict[str, tuple[set[str], set[str]]] = {}
    for concept in vocab.concepts.values():
        insensitive, sensitive = forms.setdefault(match_label(concept), (set(), set()))
        for form, case_sensitive in concept_forms(concept, vocab):
            (sensitive if case_sensitive else insensitive).add(form)
    words = {w.lower() for ins, _ in forms.values() for f in ins for w in _WORD.findall(f)}
    tokens = PatternTokens(nlp, install_variant_norms(nlp, words))
    norm = PhraseMatcher(nlp.vocab, attr="NORM")
    orth = PhraseMatcher(nlp.vocab, attr="ORTH")
    for label, (insensitive, sensitive) in forms.items():
        if insensitive:
            norm.add(label, [tuple(hash_string(n) for _, n in tokens(f)) for f in sorted(insensitive)])  # type: ignore[misc]
        if sensitive:
            orth.add(label, [tuple(hash_string(o) for o, _ in tokens(f)) for f in sorted(sensitive)])  # type: ignore[misc]
    return norm, orth
