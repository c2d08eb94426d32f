"""``pdac_tuples``: assembles :class:`~pdacmine.miner.relations.EvidenceTuple` records for a Doc.

The algorithm lives in :mod:`pdacmine.miner.relations` (pure functions); this component
collects what it needs from the Doc: sentence token ranges and character spans, section of
each sentence, the primary cancer and the article's study type from text cues. Publication
types, when known, refine the study type later (:func:`pdacmine.miner.annotate.doc_to_record`).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import doc_offsets, doc_text, doc_words, pdac_value, register_extensions
from pdacmine.miner.nlp.resources import rules_ref
from pdacmine.miner.nlp.rules import Rules
from pdacmine.miner.nlp.sections import sentence_sections
from pdacmine.miner.nlp.sentences import doc_sentence_bounds
from pdacmine.miner.relations import EvidenceTuple, assemble
from pdacmine.miner.studytype import document_study_type


def sentence_char_spans(doc: Doc, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character range of each sentence without leading/trailing white space."""
    spans = []
    text, words, offsets = doc_text(doc), doc_words(doc), doc_offsets(doc)
    for a, b in bounds:
        start = offsets[a] if a < len(offsets) else len(text)
        end = offsets[b - 1] + len(words[b - 1]) if b > a else start
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + len(chunk.rstrip())))
    return spans


def doc_tuples(doc: Doc, publication_types: list[object] | None = None, *, rules: Rules) -> list[EvidenceTuple]:
    """Tuples of a processed Doc; ``publication_types`` refine the study type."""
    mentions, primary = pdac_value(doc, "pdac_mentions"), pdac_value(doc, "pdac_primary") or "unknown"
    if primary != "pancreatic" or not mentions:
        return []  # what assemble returns for them, without reading the sentences first
    bounds = doc_sentence_bounds(doc)
    cues = pdac_value(doc, "pdac_cues")
    return assemble(
        mentions,
        cues,
        bounds,
        rules,
        text=doc_text(doc),
        words=doc_words(doc),
        sentence_spans=sentence_char_spans(doc, bounds),
        sections=sentence_sections(doc),
        primary=primary,
        study_type=document_study_type(cues, publication_types),
    )


@Language.factory(
    "pdac_tuples",
    assigns=["doc._.pdac_tuples"],
    requires=["doc._.pdac_mentions", "doc._.pdac_cues", "doc._.pdac_primary"],
    default_config={"rules": rules_ref()},
)
class TupleAssembler:
    """Mechanism–stage–organ–therapy evidence tuples, one or more per claim sentence."""

    def __init__(self, nlp: Language, name: str, rules: Rules) -> None:
        register_extensions()
        self.name = name
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        doc._.pdac_tuples = doc_tuples(doc, rules=self.rules) if pdac_value(doc, "pdac_mentions") else []
        return doc
