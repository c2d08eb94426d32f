"""Vocabulary -> PhraseMatcher patterns, with the spelling variants real abstracts use.

Two matchers cover the vocabulary (spaCy's PhraseMatcher is nearly flat in the number of
phrases, so thousands of surface forms cost little per document):

- ``NORM`` for synonyms, matched case-insensitively. A lexeme's NORM is its lower-case
  form, except that plural and British spellings of every vocabulary word are given the
  vocabulary word as NORM once, when the pipeline is built ("metastases" -> "metastasis",
  "lungs" -> "lung", "tumour" -> "tumor", "colonisation" -> "colonization"). Pattern and
  text are compared on these norms, so a vocabulary that lists only the singular American
  form still finds the others, with no per-token work at run time.
- ``ORTH`` for symbols (gene symbols, abbreviations), matched case-sensitively, with the
  variants "PD-L1"/"PDL1", "CAF"/"CAFs", "ZEB1"/"Zeb1" (mouse nomenclature) and Greek
  letters spelled out ("TGF-β"/"TGF-beta").

Short all-capital synonyms ("EMT", "CAF") are treated as symbols so they never match an
English word in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.matcher import PhraseMatcher

from pdacmine.miner.nlp.vocab import Concept, Vocabulary

GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "θ": "theta",
}
_GREEK_NAME = re.compile(
    r"(?<=[-\s\d])(alpha|beta|gamma|delta|epsilon|kappa|theta)\b|^(alpha|beta|gamma|kappa)\b"
)
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
    return (
        bool(letters)
        and len(form) <= 6
        and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)
    )


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
    if "-" in form:
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
    return {
        pattern.sub(repl, word) for pattern, repl in _BRITISH if pattern.search(word)
    } - {word}


def concept_forms(
    concept: Concept, stoplist: frozenset[str]
) -> Iterator[tuple[str, bool]]:
    """(surface form, case_sensitive) for every variant of a concept's names."""
    for form in (concept.name, *concept.synonyms):
        form = form.strip()
        if not form or form.lower() in stoplist:
            continue
        if is_symbol_like(form):
            for v in symbol_variants(form, stoplist):
                yield v, True
        else:
            for v in synonym_variants(form):
                yield v, False
    for symbol in concept.symbols:
        symbol = symbol.strip()
        if symbol:
            for v in symbol_variants(symbol, stoplist):
                yield v, True


def set_variant_norms(nlp: Language, words: Iterable[str]) -> int:
    """Give plural/British spellings of ``words`` the word itself as NORM; returns how many lexemes changed."""
    words = set(words)
    changed = 0
    for word in words:
        variants = plural_forms(word)
        for british in british_forms(word):
            variants |= {british, *plural_forms(british)}
        for variant in variants - {word}:
            for cased in {variant, variant.capitalize(), variant.upper()}:
                nlp.vocab[cased].norm_ = word
                changed += 1
    return changed


def match_label(concept: Concept) -> str:
    return f"{concept.facet}:{concept.key}"


def build_vocab_matchers(
    nlp: Language, vocab: Vocabulary
) -> tuple[PhraseMatcher, PhraseMatcher]:
    """(NORM matcher, ORTH matcher) over every concept; match IDs are ``"FACET:key"``."""
    forms: dict[str, tuple[set[str], set[str]]] = {}
    for concept in vocab.concepts.values():
        insensitive, sensitive = forms.setdefault(match_label(concept), (set(), set()))
        for form, case_sensitive in concept_forms(concept, vocab.stoplist):
            (sensitive if case_sensitive else insensitive).add(form)
    words = {
        w.lower()
        for ins, _ in forms.values()
        for f in ins
        for w in re.findall(r"[A-Za-z]+", f)
    }
    set_variant_norms(nlp, words)
    norm = PhraseMatcher(nlp.vocab, attr="NORM")
    orth = PhraseMatcher(nlp.vocab, attr="ORTH")
    for label, (insensitive, sensitive) in forms.items():
        if insensitive:
            norm.add(label, list(nlp.tokenizer.pipe(sorted(insensitive))))
        if sensitive:
            orth.add(label, list(nlp.tokenizer.pipe(sorted(sensitive))))
    return norm, orth
