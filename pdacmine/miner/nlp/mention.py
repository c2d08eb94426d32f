"""What the pdac components put on a Doc: entity mentions and the extensions that hold them.

Extensions (all set by pdac components, registered once by :func:`register_extensions`):

=========================  =====================================================================
``Doc._.pdac_text``         ``doc.text``, computed once (spaCy rebuilds ``doc.text`` on every access)
``Doc._.pdac_words``        token texts, computed once
``Doc._.pdac_offsets``      first character of each token (``token.idx``), computed once
``Doc._.pdac_sent_starts``  first token of each sentence (``pdac_sentence_fixes`` sets these four)
``Doc._.pdac_cues``         :class:`~pdacmine.miner.nlp.cues.CueIndex` of trigger phrases (``pdac_cues``)
``Doc._.pdac_sections``     (start character, section) changes of the structured abstract (``pdac_cues``)
``Doc._.pdac_mentions``     list of :class:`Mention`, in text order (``pdac_entity_matcher``; flags
                            filled in by ``pdac_organ_context`` and ``pdac_context``)
``Doc._.pdac_primary``      "pancreatic" | "other" | "unknown": the primary cancer the abstract is
                            about (``pdac_organ_context``)
``Doc._.pdac_tuples``       list of :class:`~pdacmine.miner.relations.EvidenceTuple` (``pdac_tuples``)
=========================  =====================================================================

spaCy-native results, for displaCy and components added after pdacmine's (negspacy, a linker):

- ``doc.spans["pdac"]`` (``pdac_entity_matcher``): every mention, overlapping readings included;
- ``doc.ents`` (``pdac_ents``): the entities pdacmine counts (``annotate``'s ``entities``; an
  abstract about another primary keeps only its mechanisms), longest first where two overlap.

Each span has label = facet (ORGAN, STAGE, MECHANISM, THERAPY), ``id_`` = key, ``kb_id_`` =
concept ID and ``span._.pdac_category`` = mechanism category or therapy class (None otherwise).
The group's name is the ``spans_key`` of ``pdac_entity_matcher``'s config (None: no group).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.strings import StringStore
from spacy.tokens import Doc, Span

from pdacmine.miner.evidence import EntityRecord

#: the ``doc.spans`` group of the mentions
SPANS_KEY = "pdac"
#: the Span extension holding a span's mechanism category or therapy class
CATEGORY_EXTENSION = "pdac_category"


@dataclass(slots=True, eq=False)
class Mention:
    """One vocabulary concept found in the text (token span ``[start, end)``)."""

    start: int
    end: int
    start_char: int
    end_char: int
    text: str
    label: str
    key: str
    category: str | None = None
    concept_id: str | None = None
    sent: int = 0
    source: str = "vocabulary"  # vocabulary | abbreviation
    negated: bool = False
    hedged: bool = False
    #: ORGAN only: the text makes it a site of metastasis, dissemination or recurrence.
    site: bool = False
    #: named only as background, not asserted about PDAC: a therapy in a generic line ("PDAC responds
    #: poorly to chemotherapy"), anything in a statement about cancer in general or another cancer, a
    #: stage form without its context ("circulating MDSCs"). Counted nowhere, in no tuple.
    background: bool = False
    #: THERAPY only: a generic term standing for drugs the text names ("gemcitabine-based chemotherapy").
    #: Counted nowhere, in no tuple.
    redundant: bool = False
    #: MECHANISM only: named as a drug's target ("the CXCR4 antagonist BL-8040", "anti-PD-1").
    target: bool = False
    notes: list[str] = field(default_factory=list)

    def to_record(self) -> EntityRecord:
        """The typed entity record of ``annotate`` (character offsets)."""
        return EntityRecord(
            self.start_char,
            self.end_char,
            self.text,
            self.label,
            self.key,
            self.category,
            self.concept_id,
            self.negated,
            self.hedged,
        )


#: the Doc extensions of the table above
DOC_EXTENSIONS = (
    "pdac_text",
    "pdac_words",
    "pdac_offsets",
    "pdac_sent_starts",
    "pdac_cues",
    "pdac_sections",
    "pdac_mentions",
    "pdac_primary",
    "pdac_tuples",
)


def pdac_value(doc: Doc, name: str) -> Any:
    """``doc._.<name>`` of a pdac extension (None when not set), read straight from ``doc.user_data``.

    spaCy keeps a Doc extension's value there under ``("._.", name, None, None)``; reading it so
    skips the ``Underscore`` object that every ``doc._`` access builds (the pdac components read
    these values dozens of times per Doc). Writes still go through ``doc._``.
    """
    user_data: dict[Any, Any] = doc.user_data
    return user_data.get(("._.", name, None, None))


def set_pdac_value(doc: Doc, name: str, value: Any) -> None:
    """Set ``doc._.<name>`` where :func:`pdac_value` reads it (also before the extension is registered)."""
    user_data: dict[Any, Any] = doc.user_data
    user_data[("._.", name, None, None)] = value


def doc_text(doc: Doc) -> str:
    """``doc.text`` without rebuilding it when ``pdac_sentence_fixes`` already did."""
    text: str | None = pdac_value(doc, "pdac_text")
    return text if text is not None else doc.text


def doc_words(doc: Doc) -> list[str]:
    """Token texts without creating Token objects again when ``pdac_sentence_fixes`` already did."""
    words: list[str] | None = pdac_value(doc, "pdac_words")
    return words if words is not None else [t.text for t in doc]


def doc_offsets(doc: Doc) -> list[int]:
    """Each token's first character (``token.idx``) without creating Token objects when
    ``pdac_sentence_fixes`` already computed them."""
    offsets: list[int] | None = pdac_value(doc, "pdac_offsets")
    return offsets if offsets is not None else [t.idx for t in doc]


def register_extensions() -> None:
    """Register the Doc and Span extensions listed in the module docstring (idempotent)."""
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    if not Span.has_extension(CATEGORY_EXTENSION):
        Span.set_extension(CATEGORY_EXTENSION, getter=span_category)


def span_category(span: Span) -> str | None:
    """``span._.pdac_category``: the category of the mention a pdac span stands for (None for other spans).

    Looked up when read, so writing the spans costs nothing extra.
    """
    key, label = span.id_, span.label_
    for m in span.doc._.pdac_mentions or ():
        if m.start == span.start and m.end == span.end and m.key == key and m.label == label:
            return m.category
    return None


class StringIds(dict[str, int]):
    """String -> its ID in one StringStore, added on first use: a Span built from IDs skips hashing its strings."""

    def __init__(self, strings: StringStore) -> None:
        super().__init__()
        self.strings = strings

    def __missing__(self, text: str) -> int:
        found: int = self.strings.add(text)
        self[text] = found
        return found


def mention_spans(doc: Doc, mentions: Iterable[Mention], ids: StringIds | None = None) -> list[Span]:
    """The mentions as spaCy spans: label = facet, ``id_`` = key, ``kb_id_`` = concept ID (``_.pdac_category``).

    ``ids`` (of ``doc.vocab.strings``) gives the strings' IDs without hashing them again.
    """
    if ids is None:
        return [Span(doc, m.start, m.end, label=m.label, kb_id=m.concept_id or "", span_id=m.key) for m in mentions]
    return [
        Span(doc, m.start, m.end, label=ids[m.label], kb_id=ids[m.concept_id or ""], span_id=ids[m.key])
        for m in mentions
    ]


def non_overlapping(mentions: Iterable[Mention]) -> list[Mention]:
    """The longest mentions, then the first, that do not overlap (:func:`spacy.util.filter_spans`' rule), in order."""
    kept: list[Mention] = []
    taken: set[int] = set()
    for m in sorted(mentions, key=lambda m: (m.start - m.end, m.start)):
        if m.start not in taken and m.end - 1 not in taken:
            kept.append(m)
            taken.update(range(m.start, m.end))
    return sorted(kept, key=lambda m: m.start)
