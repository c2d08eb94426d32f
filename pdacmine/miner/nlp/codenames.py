"""Code-named compounds ("SD-208", "TNP-470", "CX4945"): drugs that no vocabulary can list in full.

A code name is capital letters and digits, written as one token ("CX4945", "NK105") or as letters, a
hyphen and digits ("SD-208", "TNP-470", "PF-04136309"). Such a code is a THERAPY only where the
text says it is a drug; gene symbols, cell lines and tumour markers share its shape. It is a drug
when:

- a drug word (``code_drug_words``: "inhibitor", "agent", "compound") stands right before it ("the
  MMP inhibitor BB-94", "the antiangiogenic agent TNP-470");
- it opens a parenthesis that a drug word precedes within ``code_before`` tokens ("small molecule
  inhibitors of EMT (SD-208 and CX4945)");
- a comma or parenthesis after it leads to a drug word within ``code_after`` tokens ("SB-431542, a
  TGF-beta receptor inhibitor");
- it is coordinated ("and", "or", "/") with a drug ("paclitaxel and NK105") or a code already a drug
  ("SD-208 and CX4945").

A code written as another name of a drug the vocabulary found ("dasatinib (BMS-354825)", "BMS-354825
(dasatinib)") is that drug. A confirmed code is a drug at each of its occurrences in the abstract. Its
key is its lower-cased spelling ("sd-208", "nk105"), its class the one its context names: ``code_targeted_words``
("inhibitor", "antagonist", "antiangiogenic") make it targeted, ``code_chemotherapy_words``
("cytotoxic") chemotherapy, a coordinated drug gives its own class; otherwise it is ``other``.
A code inside a vocabulary match of any facet (a gene symbol: "MMP-9") is never a drug code, nor is one
that the abstract names once with a ``code_not_drug_next`` word after it ("SW1990 cells", "CA19-9 levels").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from pdacmine.miner.nlp.rules import Rules

_ONE_TOKEN = re.compile(r"[A-Z]{2,5}\d{2,7}[A-Z]?")
_LETTERS = re.compile(r"[A-Z]{1,5}")
_DIGITS = re.compile(r"\d{2,7}[A-Z]?")


class Code(NamedTuple):
    start: int
    end: int
    text: str


class CodeDrug(NamedTuple):
    """One occurrence of a confirmed code: token span, key and class."""

    start: int
    end: int
    key: str
    category: str


def code_spans(words: list[str]) -> list[Code]:
    """Every token span shaped like a code name ("CX4945"; "SD", "-", "208")."""
    out = []
    i = 0
    while i < len(words):
        w = words[i]
        if i + 2 < len(words) and _LETTERS.fullmatch(w) and words[i + 1] == "-" and _DIGITS.fullmatch(words[i + 2]):
            out.append(Code(i, i + 3, f"{w}-{words[i + 2]}"))
            i += 3
            continue
        if _ONE_TOKEN.fullmatch(w):
            out.append(Code(i, i + 1, w))
        i += 1
    return out


class CodeRules(NamedTuple):
    drug_words: frozenset[str]
    targeted: frozenset[str]
    chemotherapy: frozenset[str]
    coordinators: frozenset[str]
    not_drug_next: frozenset[str]
    before: int
    after: int

    @classmethod
    def of(cls, rules: Rules) -> CodeRules:
        return cls(
            rules.word_list("code_drug_words"),
            rules.word_list("code_targeted_words"),
            rules.word_list("code_chemotherapy_words"),
            rules.word_list("code_coordinators"),
            rules.word_list("code_not_drug_next"),
            rules.window("code_before"),
            rules.window("code_after"),
        )

    def class_of(self, phrase: Iterable[str]) -> str:
        low = {w.lower() for w in phrase}
        if low & self.targeted:
            return "targeted"
        return "chemotherapy" if low & self.chemotherapy else "other"


_STOP = frozenset({".", ";", ")"})


def _drug_word_before(words: list[str], code: Code, cr: CodeRules) -> str | None:
    """The class named by a drug word right before the code, or before the "(" it opens."""
    prev = code.start - 1
    if prev >= 0 and words[prev].lower() in cr.drug_words:
        return cr.class_of(words[max(0, prev - 1) : prev + 1])
    if prev < 0 or words[prev] != "(":
        return None
    for j in range(prev - 1, max(-1, prev - 1 - cr.before), -1):
        if words[j] in _STOP:
            return None
        if words[j].lower() in cr.drug_words:
            return cr.class_of(words[max(0, j - 1) : j + 1])
    return None


def _drug_word_after(words: list[str], code: Code, cr: CodeRules) -> str | None:
    """The class named by a drug word after the comma or "(" that follows the code."""
    if code.end >= len(words) or words[code.end] not in {",", "("}:
        return None
    for j in range(code.end + 1, min(len(words), code.end + 1 + cr.after)):
        if words[j] in _STOP:
            return None
        if words[j].lower() in cr.drug_words:
            return cr.class_of(words[code.end + 1 : j + 1])
    return None


Known = dict[int, tuple[str, str]]  # a drug's first (or last) token -> (key, class)


def _alias_of(words: list[str], code: Code, first: Known, last: Known) -> tuple[str, str] | None:
    """The named drug that the code is another name of: "CODE (drug)" or "drug (CODE)"."""
    if code.end + 1 < len(words) and words[code.end] == "(" and code.end + 1 in first:
        return first[code.end + 1]
    if code.start >= 2 and words[code.start - 1] == "(" and code.start - 2 in last:
        return last[code.start - 2]
    return None


def _partner(words: list[str], code: Code, first: Known, last: Known, cr: CodeRules) -> str | None:
    """The class of a drug coordinated with the code ("paclitaxel and NK105", "NK105 or paclitaxel")."""
    if code.start >= 2 and words[code.start - 1].lower() in cr.coordinators and code.start - 2 in last:
        return last[code.start - 2][1]
    if code.end + 1 < len(words) and words[code.end].lower() in cr.coordinators and code.end + 1 in first:
        return first[code.end + 1][1]
    return None


def code_drugs(
    words: list[str], drugs: Iterable[tuple[int, int, str, str]], taken: Callable[[int, int], bool], rules: Rules
) -> list[CodeDrug]:
    """The code-named drugs of an abstract (module docstring).

    ``drugs``: (start, end, key, class) of the drugs the vocabulary found; ``taken(start, end)``: whether
    a vocabulary match covers a token of the span.
    """
    cr = CodeRules.of(rules)
    codes = [c for c in code_spans(words) if not taken(c.start, c.end)]
    not_drugs = {c.text for c in codes if c.end < len(words) and words[c.end].lower() in cr.not_drug_next}
    codes = [c for c in codes if c.text not in not_drugs]
    if not codes:
        return []
    first: Known = {start: (key, cls) for start, _, key, cls in drugs}
    last: Known = {end - 1: (key, cls) for _, end, key, cls in drugs}
    found: dict[str, tuple[str, str]] = {}
    for c in codes:
        if c.text not in found and (alias := _alias_of(words, c, first, last)):
            found[c.text] = alias
    changed = True
    while changed:  # a code confirmed by coordination may confirm the next one ("SD-208 and CX4945")
        changed = False
        for c in codes:
            if c.text in found:
                continue
            cls = _drug_word_before(words, c, cr) or _drug_word_after(words, c, cr)
            cls = cls or _partner(words, c, first, last, cr)
            if cls is not None:
                found[c.text] = (c.text.lower(), cls)
                changed = True
        for c in codes:
            if c.text in found:
                first[c.start] = last[c.end - 1] = found[c.text]
    return [CodeDrug(c.start, c.end, *found[c.text]) for c in codes if c.text in found]
