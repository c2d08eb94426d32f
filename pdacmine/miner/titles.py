"""Titles and author names folded so that two databases' spellings of one record compare equal.

:func:`normalise_title` folds HTML entities and tags, Greek letters (β -> beta), accents, case
and punctuation; :func:`author_key` makes transliterations agree (Müller = Mueller = Muller);
:func:`title_score` and :func:`words_differ` compare two normalised titles. Used by the
duplicate matching in :mod:`pdacmine.miner.dedup`. Pure.
"""

from __future__ import annotations

import html
import re
import unicodedata

from rapidfuzz import fuzz

#: A title shorter than this is too generic to match on its prefix.
MIN_PREFIX = 40

_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "epsilon",
            "zeta",
            "eta",
            "theta",
            "iota",
            "kappa",
            "lambda",
            "mu",
            "nu",
            "xi",
            "omicron",
            "pi",
            "rho",
            "sigma",
            "sigma",
            "tau",
            "upsilon",
            "phi",
            "chi",
            "psi",
            "omega",
        ],
        strict=True,
    )
)
_SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
_TAG = re.compile(r"<[^>]{1,40}>")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    text = html.unescape(html.unescape(text))
    text = _TAG.sub(" ", text).lower().replace("&", " and ")
    text = "".join(_GREEK.get(c, _SPECIAL.get(c, c)) for c in text)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise_title(title: str) -> str:
    """Lower-case ASCII words of a title: entities, tags, accents, Greek letters and punctuation folded."""
    return " ".join(_NON_ALNUM.sub(" ", _fold(title)).split())


def author_key(surname: str | None) -> str:
    """A surname reduced so that transliterations agree: ``Müller``, ``Mueller``, ``MULLER`` -> ``muller``."""
    if not surname:
        return ""
    text = _NON_ALNUM.sub("", _fold(surname))
    for digraph, letter in (("ae", "a"), ("oe", "o"), ("ue", "u")):
        text = text.replace(digraph, letter)
    return text


def title_score(a: str, b: str, cutoff: float = 0.0) -> float:
    """Similarity 0-100 of two normalised titles; a long-enough title cut short scores by the prefix it keeps.

    Scores below ``cutoff`` come back as 0 (faster: rapidfuzz stops early).
    """
    if not a or not b:
        return 0.0
    score = fuzz.ratio(a, b, score_cutoff=cutoff)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= MIN_PREFIX and len(short) < len(long_):
        score = max(score, fuzz.ratio(short, long_[: len(short)], score_cutoff=cutoff))
    return float(score)


#: Words whose absence on one side never makes titles different (databases drop or add them).
_MINOR = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "and",
        "or",
        "for",
        "to",
        "with",
        "by",
        "from",
        "at",
        "as",
        "its",
        "their",
        "is",
        "are",
        "vs",
        "versus",
    ]
)


def words_differ(a: str, b: str) -> bool:
    """True when two similar normalised titles differ in a content word on both sides (``lung`` vs ``liver``,
    ``phase 2`` vs ``phase 3``): sibling studies, not one study spelt twice. A title cut short is compared
    over the words it keeps; spelling variants (``tumour``/``tumor``) and joined words (``tgfbeta``) agree.
    """
    if a.replace(" ", "") == b.replace(" ", ""):
        return False
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb) and min(len(a), len(b)) >= MIN_PREFIX:
        n = min(len(wa), len(wb)) - 1  # the last kept word may be cut
        wa, wb = wa[:n], wb[:n]
    only_a, only_b = set(wa) - set(wb) - _MINOR, set(wb) - set(wa) - _MINOR
    if not only_a or not only_b:
        return False
    joined_b = "".join(wb)
    return any(all(fuzz.ratio(x, y) < 75 for y in only_b) and not (len(x) >= 4 and x in joined_b) for x in only_a)
