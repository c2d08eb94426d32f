"""``pdac_cues``: every trigger phrase of the rules file, found in one PhraseMatcher pass.

The other rule components (organ context, negation/hedging/polarity, tuples, study type)
never scan tokens themselves; they ask the :class:`CueIndex` stored in ``Doc._.pdac_cues``
"is there a MET_STRONG cue in tokens [a, b)?" (a binary search per question). A short form the
abstract defines as pancreatic cancer ("pancreatic cancer (PC)") is a PANCREATIC cue wherever
it occurs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, cast

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import doc_text, register_extensions
from pdacmine.miner.nlp.resources import rules_ref
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.sections import section_starts

#: Cue groups inside which the longest match wins ("was not observed" hides its "not"): the rules file's
#: ``word_lists.exclusive_cue_groups``, each a space-separated list of labels.
EXCLUSIVE_GROUPS = tuple(tuple(group.split()) for group in default_rules().word_tuple("exclusive_cue_groups"))

Span = tuple[int, int]


class CueIndex:
    """Token spans of each cue label, sorted by start."""

    __slots__ = ("_by_start", "_starts", "spans")

    def __init__(self, spans: dict[str, list[Span]]) -> None:
        self.spans = {label: sorted(v) for label, v in spans.items()}
        self._starts = {label: [s for s, _ in v] for label, v in self.spans.items()}
        self._by_start: tuple[list[int], list[str]] | None = None  # every cue's start and label, built on first use

    def labels_within(self, start: int, end: int) -> set[str]:
        """The labels of the cues that start in [start, end): one binary search for all labels
        (``label in labels_within(a, b)`` is ``any_within(label, a, b)``)."""
        if self._by_start is None:
            pairs = sorted((s, label) for label, starts in self._starts.items() for s in starts)
            self._by_start = ([s for s, _ in pairs], [label for _, label in pairs])
        starts, labels = self._by_start
        return set(labels[bisect_left(starts, start) : bisect_left(starts, end)])

    def get(self, label: str) -> list[Span]:
        return self.spans.get(label, [])

    def within(self, label: str, start: int, end: int) -> list[Span]:
        """Cues of ``label`` that start in [start, end)."""
        starts = self._starts.get(label)
        if not starts:
            return []
        lo = bisect_left(starts, start)
        hi = bisect_left(starts, end)
        return self.spans[label][lo:hi]

    def any_within(self, label: str, start: int, end: int) -> bool:
        starts = self._starts.get(label)
        if not starts:
            return False
        i = bisect_left(starts, start)
        return i < len(starts) and starts[i] < end

    def count(self, label: str) -> int:
        return len(self.spans.get(label, ()))

    def starting_at(self, label: str, index: int) -> Span | None:
        found = self.within(label, index, index + 1)
        return found[0] if found else None

    def ending_at(self, label: str, index: int, lookback: int = 6) -> Span | None:
        for span in self.within(label, index - lookback, index):
            if span[1] == index:
                return span
        return None


def longest_first(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping subset of labelled spans, longer spans first, then earlier ones."""
    taken: list[tuple[int, int, str]] = []
    used: set[int] = set()
    for start, end, label in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if not any(i in used for i in range(start, end)):
            taken.append((start, end, label))
            used.update(range(start, end))
    return taken


_GROUP_OF = {label: i for i, group in enumerate(EXCLUSIVE_GROUPS) for label in group}


def resolve_cues(matches: Iterable[tuple[int, int, str]]) -> dict[str, list[Span]]:
    """Group matches by label, applying :data:`EXCLUSIVE_GROUPS`."""
    grouped: dict[str, list[Span]] = {}
    exclusive: dict[int, list[tuple[int, int, str]]] = {}
    group_of = _GROUP_OF
    for start, end, label in matches:
        group = group_of.get(label)
        if group is not None:
            exclusive.setdefault(group, []).append((start, end, label))
        elif label in grouped:
            grouped[label].append((start, end))
        else:
            grouped[label] = [(start, end)]
    for members in exclusive.values():
        for start, end, label in longest_first(members):
            grouped.setdefault(label, []).append((start, end))
    return grouped


def pancreatic_short_forms(abbreviations: Iterable[Any], pancreatic: list[Span]) -> list[Span]:
    """Occurrences of short forms defined as pancreatic cancer ("pancreatic cancer (PC)"): PANCREATIC cues too.

    ``abbreviations`` are scispaCy short-form spans (``_.long_form`` set); ``pancreatic`` the PANCREATIC
    cue spans, so a long form that is another primary ("pancreatic neuroendocrine tumours") never counts.
    """
    out = []
    for short in abbreviations:
        long = short._.long_form
        if long is None or isinstance(long, str):
            continue
        if any(long.start <= s and e <= long.end for s, e in pancreatic):
            out.append((short.start, short.end))
    return out


def build_cue_matcher(nlp: Language, rules: Rules) -> PhraseMatcher:
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for label, phrases in rules.cues.items():
        matcher.add(label, list(cast(Tokenizer, nlp.tokenizer).pipe(sorted(set(phrases)))))
    return matcher


@Language.factory(
    "pdac_cues",
    assigns=["doc._.pdac_cues", "doc._.pdac_sections"],
    requires=["doc._.pdac_sent_starts"],
    default_config={"resync_sentences": False, "rules": rules_ref()},
)
class CueMatcher:
    """Finds the trigger phrases of ``context_rules.json`` (negation, hedging, polarity, sites...)."""

    def __init__(self, nlp: Language, name: str, resync_sentences: bool, rules: Rules) -> None:
        register_extensions()
        self.name = name
        #: after a model's parser or sentencizer, take the sentences from ``doc.sents``
        self.resync_sentences = resync_sentences
        self.rules = rules
        self.matcher = build_cue_matcher(nlp, self.rules)
        self._labels = {nlp.vocab.strings.add(label): label for label in self.rules.cues}

    def __call__(self, doc: Doc) -> Doc:
        labels = self._labels
        spans = resolve_cues([(start, end, labels[match_id]) for match_id, start, end in self.matcher(doc)])
        if spans.get("PANCREATIC") and Doc.has_extension("abbreviations") and doc._.abbreviations:
            spans["PANCREATIC"] += pancreatic_short_forms(doc._.abbreviations, spans["PANCREATIC"])
        doc._.pdac_cues = CueIndex(spans)
        doc._.pdac_sections = section_starts(doc_text(doc), self.rules)
        if self.resync_sentences or doc._.pdac_sent_starts is None:
            doc._.pdac_sent_starts = [s.start for s in doc.sents] if len(doc) else []
        return doc
