"""``pdac_entity_matcher``: vocabulary concepts in the text, as :class:`~pdacmine.miner.nlp.mention.Mention`.

Steps (the algorithm is the pure functions below; the component only wires them):

1. Two PhraseMatchers (see :mod:`pdacmine.miner.nlp.patterns`) find every surface form.
2. Ambiguous symbols ("OS", "HR", "MET", "CA") count only next to a gene word
   ("MET expression") or when the abstract defines them as that concept.
3. Abbreviations defined in the text (scispaCy ``abbreviation_detector``, Schwartz & Hearst):
   a short form whose long form is a concept becomes that concept everywhere in the
   abstract ("cancer-associated fibroblasts (CAFs)" makes every "CAFs" stroma-caf; "perineural
   invasion (PNI)" makes every "PNI" the stage and the mechanism), even when the short form is
   not in the vocabulary; a short form defined as something else ("PC (prostate cancer)") never
   matches its vocabulary concept, unless the long form holds a concept of the same category
   ("platelet-derived growth factor receptor b (PDGFRb)").
4. Overlaps: the longest span wins within a facet ("liver metastasis" over "liver",
   "nab-paclitaxel" over "paclitaxel"). Across facets a span inside a longer one is dropped
   ("hepatic" inside "hepatic stellate cells"; the mechanism "lymph vessel" inside the stage "lymph
   vessel invasion"), except a STAGE inside a MECHANISM or an ORGAN ("peritoneal seeding" is the
   peritoneum and colonization) and an ORGAN inside a THERAPY ("pulmonary metastasectomy"). The same
   span keeps both readings ("perineural invasion" is a stage and a
   mechanism).
5. Regimens written as drugs ("gemcitabine plus nab-paclitaxel", "gemcitabine/nab-paclitaxel")
   yield the drugs; a named regimen ("FOLFIRINOX", "mFOLFIRINOX") keeps its own key.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from pdacmine.miner.nlp.codenames import code_drugs
from pdacmine.miner.nlp.mention import (
    SPANS_KEY,
    Mention,
    StringIds,
    doc_offsets,
    doc_text,
    doc_words,
    mention_spans,
    pdac_value,
    register_extensions,
)
from pdacmine.miner.nlp.patterns import build_vocab_matchers
from pdacmine.miner.nlp.resources import rules_ref, vocabulary_ref
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.vocab import MODALITY_KEYS, Vocabulary

#: (inner facet, outer facet) pairs whose inner span survives inside the outer one (``word_lists.kept_inside``:
#: "STAGE in MECHANISM", ...)
_CROSS_FACET_ALLOWED = frozenset(tuple(pair.split(" in ", 1)) for pair in default_rules().word_tuple("kept_inside"))


class RawMatch(NamedTuple):
    start: int
    end: int
    facet: str
    key: str
    symbol: bool = False
    source: str = "vocabulary"
    #: the class of a match that no vocabulary concept names (a code-named drug)
    category: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


class Definition(NamedTuple):
    """An abbreviation defined in the text: short-form occurrences and the long form's token span."""

    short: str
    occurrences: tuple[tuple[int, int], ...]
    long_start: int
    long_end: int


def keep_ambiguous_symbol(words_after: list[str], rules: Rules) -> bool:
    """An ambiguous symbol counts only when a gene word is among the three tokens after it (``words_after``)."""
    return any(w.lower() in rules.symbol_gene_cues for w in words_after[:3])


def long_form_concepts(matches: Iterable[RawMatch], long_start: int, long_end: int) -> list[RawMatch]:
    """The concepts a long form names: the longest matches ending at its end and covering half of it
    (every facet of that span: "perineural invasion" is a STAGE and a MECHANISM)."""
    best: list[RawMatch] = []
    for m in matches:
        if not (long_start <= m.start and m.end == long_end and 2 * m.length >= long_end - long_start):
            continue
        if not best or m.length > best[0].length:
            best = [m]
        elif m.length == best[0].length and all((m.facet, m.key) != (b.facet, b.key) for b in best):
            best.append(m)
    return best


Category = Callable[[str, str], "str | None"]


def apply_abbreviations(
    matches: list[RawMatch], definitions: Iterable[Definition], category: Category | None = None
) -> list[RawMatch]:
    """Resolve short forms: to the long form's concepts, or to nothing when the long form is no concept.

    When the long form holds no whole concept but a concept of the same facet and ``category`` as the
    short form's own vocabulary match ("platelet-derived growth factor receptor b (PDGFRb)"), the
    short form keeps its vocabulary match: the definition confirms it.
    """
    out = list(matches)
    for d in definitions:
        concepts = long_form_concepts(out, d.long_start, d.long_end)
        spans = set(d.occurrences)
        short: list[RawMatch] = []
        rest: list[RawMatch] = []
        for m in out:
            (short if any(s <= m.start and m.end <= e for s, e in spans) else rest).append(m)
        out = rest
        if concepts:
            for concept in concepts:
                out.extend(RawMatch(s, e, concept.facet, concept.key, True, "abbreviation") for s, e in sorted(spans))
        elif category is not None:
            inside = {
                (m.facet, category(m.facet, m.key))
                for m in out
                if d.long_start <= m.start and m.end <= d.long_end and m.facet in ("MECHANISM", "THERAPY")
            }
            out.extend(m for m in short if (m.facet, category(m.facet, m.key)) in inside)
    return out


def _conflicts(short: RawMatch, long: RawMatch) -> bool:
    if short.end <= long.start or long.end <= short.start:
        return False
    if (short.start, short.end) == (long.start, long.end):
        return False  # same span: keep both readings (different facets or ambiguous synonyms)
    inside = long.start <= short.start and short.end <= long.end
    if short.facet == long.facet:
        return True
    return not (inside and (short.facet, long.facet) in _CROSS_FACET_ALLOWED)


def split_regimens(matches: list[RawMatch], vocab: Vocabulary) -> list[RawMatch]:
    """Drop a regimen match that contains two or more drug matches (the drugs stand for it)."""
    out = []
    for m in matches:
        concept = vocab.get(m.facet, m.key) if m.facet == "THERAPY" else None
        if concept is not None and concept.components:
            drugs = {
                x.key
                for x in matches
                if x.facet == "THERAPY" and x is not m and m.start <= x.start and x.end <= m.end and x.length < m.length
            }
            if len(drugs) >= 2:
                continue
        out.append(m)
    return out


def resolve_overlaps(matches: Iterable[RawMatch]) -> list[RawMatch]:
    """Longest span first; a match is dropped when it conflicts with a kept, longer one."""
    kept: list[RawMatch] = []
    seen: set[tuple[int, int, str, str]] = set()
    at: dict[int, list[RawMatch]] = {}  # token -> kept matches covering it
    for m in sorted(matches, key=lambda m: (m.start - m.end, m.start, m.facet, m.key)):  # longest first
        ident = (m.start, m.end, m.facet, m.key)
        if ident in seen:
            continue
        if any(_conflicts(m, k) for i in range(m.start, m.end) for k in at.get(i, ())):
            continue
        seen.add(ident)
        kept.append(m)
        for i in range(m.start, m.end):
            at.setdefault(i, []).append(m)
    return sorted(kept, key=lambda m: (m.start, m.end, m.facet))


def definitions_from(doc: Doc) -> list[Definition]:
    """Read scispaCy's ``doc._.abbreviations`` (if the detector ran) into :class:`Definition` records."""
    if not Doc.has_extension("abbreviations"):
        return []
    by_short: dict[str, tuple[set[tuple[int, int]], Span]] = {}
    for short in doc._.abbreviations:
        long = short._.long_form
        if long is None or isinstance(long, str):
            continue
        occ, _ = by_short.setdefault(short.text, (set(), long))
        occ.add((short.start, short.end))
    if not by_short:
        return []
    variants = {}
    for text in by_short:
        variants[text + "s"] = text
        if text.endswith("s") and len(text) > 2:
            variants[text[:-1]] = text
    words = doc_words(doc)
    for word in variants.keys() & set(words):
        occ = by_short[variants[word]][0]
        i = words.index(word)
        while True:
            occ.add((i, i + 1))
            try:
                i = words.index(word, i + 1)
            except ValueError:
                break
    return [Definition(t, tuple(sorted(o)), long.start, long.end) for t, (o, long) in by_short.items()]


@Language.factory(
    "pdac_entity_matcher",
    assigns=["doc._.pdac_mentions", "doc.spans", "span._.pdac_category"],
    requires=["doc._.pdac_sent_starts"],
    default_config={"vocabulary": vocabulary_ref(), "rules": rules_ref(), "spans_key": SPANS_KEY},
)
class EntityMatcher:
    """Finds ORGAN, STAGE, MECHANISM and THERAPY concepts of the vocabulary (see the module docstring)."""

    def __init__(self, nlp: Language, name: str, vocabulary: Vocabulary, rules: Rules, spans_key: str | None) -> None:
        """``vocabulary`` is matched (its matchers are built here, once: a few seconds for the full
        vocabulary); ``spans_key`` names the ``doc.spans`` group of the mentions (None: none)."""
        register_extensions()
        self.name = name
        self.spans_key = spans_key
        self.rules = rules
        self.strings = nlp.vocab.strings
        self.vocabulary = vocabulary
        self._matchers = build_vocab_matchers(nlp, vocabulary)
        self._match_ids: dict[int, tuple[str, str]] = {}
        self._ids = StringIds(nlp.vocab.strings)

    def category(self, facet: str, key: str) -> str | None:
        """The mechanism category or therapy class of a concept (None when unknown)."""
        concept = self.vocabulary.get(facet, key)
        return concept.category if concept else None

    def _concept_of(self, match_id: int) -> tuple[str, str]:
        """(facet, key) of a matcher's match ID ("FACET:key"), read from the StringStore once."""
        found = self._match_ids.get(match_id)
        if found is None:
            facet, key = self.strings[match_id].split(":", 1)
            found = self._match_ids[match_id] = (facet, key)
        return found

    def raw_matches(self, doc: Doc) -> list[RawMatch]:
        out = []
        norm_matcher, orth_matcher = self._matchers
        concept_of = self._concept_of
        for match_id, start, end in norm_matcher(doc):
            out.append(RawMatch(start, end, *concept_of(match_id)))
        ambiguous = self.rules.ambiguous_symbols
        words = doc_words(doc)
        for match_id, start, end in orth_matcher(doc):
            ambiguous_here = end - start == 1 and words[start] in ambiguous
            if ambiguous_here and not keep_ambiguous_symbol(words[end : end + 3], self.rules):
                continue
            out.append(RawMatch(start, end, *concept_of(match_id), True))
        return out

    def code_matches(self, words: list[str], matches: list[RawMatch]) -> list[RawMatch]:
        """Code-named drugs (:mod:`pdacmine.miner.nlp.codenames`) outside every vocabulary match."""
        covered = {i for m in matches for i in range(m.start, m.end)}
        drugs = [
            (m.start, m.end, m.key, cls)
            for m in matches
            if m.facet == "THERAPY" and m.key not in MODALITY_KEYS and (cls := self.category(m.facet, m.key))
        ]

        def taken(start: int, end: int) -> bool:
            return any(i in covered for i in range(start, end))

        found = code_drugs(words, drugs, taken, self.rules)
        return [RawMatch(c.start, c.end, "THERAPY", c.key, True, "code", c.category) for c in found]

    def __call__(self, doc: Doc) -> Doc:
        matches = self.raw_matches(doc)
        definitions = definitions_from(doc)
        if definitions:
            matches = apply_abbreviations(matches, definitions, self.category)
        matches += self.code_matches(doc_words(doc), matches)
        matches = resolve_overlaps(split_regimens(matches, self.vocabulary))
        mentions = doc._.pdac_mentions = self.to_mentions(doc, matches)
        if self.spans_key:
            doc.spans[self.spans_key] = mention_spans(doc, mentions, self._ids)
        return doc

    def to_mentions(self, doc: Doc, matches: list[RawMatch]) -> list[Mention]:
        starts = pdac_value(doc, "pdac_sent_starts") or [0]
        text, words, offsets = doc_text(doc), doc_words(doc), doc_offsets(doc)
        mentions = []
        concepts = self.vocabulary.concepts
        for start, end, facet, key, _, source, category in matches:
            concept = concepts.get((facet, key))
            start_char, end_char = offsets[start], offsets[end - 1] + len(words[end - 1])
            # positional arguments (Mention's field order) cost a third of keywords, per mention
            mentions.append(
                Mention(
                    start,
                    end,
                    start_char,
                    end_char,
                    text[start_char:end_char],
                    facet,
                    key,
                    concept.category if concept else category,
                    concept.concept_id if concept else None,
                    bisect_right(starts, start) - 1,
                    source,
                )
            )
        return mentions
