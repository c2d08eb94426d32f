"""``pdac_context``: negation, hedging and background flags of each mention (ConText-style rules).

- Negation: a NEG_PRE trigger ("no", "not", "without", "absence of", "neither ... nor") negates
  what follows it, up to ``windows.negation_scope`` tokens and never past a terminator ("but",
  "however", "whereas", ";") or the end of the sentence; a NEG_POST trigger ("was not observed",
  "were absent") negates what precedes it the same way. A NEG_RELATION trigger denies a relation
  ("X was not correlated with Y", "Y is not associated with X") and negates both its arguments: what
  precedes it and what follows it. Pseudo-triggers ("not only",
  "with or without", "no longer") negate nothing.
- Hedging: a HEDGE cue anywhere in the sentence ("may", "might", "suggest", "potential",
  "likely", "hypothesize") hedges every mention of the sentence.
- Drug target: a mechanism named as what a drug hits ("the CXCR4 antagonist BL-8040",
  "anti-PD-1") is no driver claim on its own (no mechanism–metastasis tuple without an organ
  or stage).
- Therapies (:mod:`pdacmine.miner.nlp.therapies`): a generic modality in a background line
  ("PDAC responds poorly to chemotherapy") is background, and so is a procedure named as a tissue
  source ("resected specimens"); a generic term that stands for drugs
  the text names ("gemcitabine-based chemotherapy") is redundant; resection of a metastasis
  ("resection of (the) brain metastases") is metastasectomy, not resection of the primary.
- Claims about PDAC (:mod:`pdacmine.miner.nlp.claims`): a statement about cancer in general or
  another cancer, and a stage form named without its context ("circulating MDSCs"), is background.

Polarity belongs to a relation, not a mention: :mod:`pdacmine.miner.relations` computes it.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.claims import mark_claims, relabel
from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.grammar import resects_metastasis
from pdacmine.miner.nlp.mention import Mention, doc_words, pdac_value, register_extensions
from pdacmine.miner.nlp.resources import rules_ref, vocabulary_ref
from pdacmine.miner.nlp.rules import Rules
from pdacmine.miner.nlp.sections import sentence_sections
from pdacmine.miner.nlp.sentences import doc_sentence_bounds
from pdacmine.miner.nlp.therapies import (
    EARLY_SECTIONS,
    genetic_ablation,
    is_background_therapy,
    mark_descriptions,
    mark_generic_terms,
    named_as_absent,
    resects_a_metastasis,
    same_operation,
    tissue_source,
)
from pdacmine.miner.nlp.vocab import Vocabulary


def negation_scopes(cues: CueIndex, sent: tuple[int, int], window: int) -> list[tuple[int, int]]:
    """Token ranges negated inside one sentence."""
    a, b = sent
    terminators = cues.within("TERMINATE", a, b)
    scopes = []
    relations = cues.within("NEG_RELATION", a, b)
    for _, e in cues.within("NEG_PRE", a, b) + relations:
        stop = min([t for t, _ in terminators if t >= e] + [b, e + window])
        scopes.append((e, stop))
    for s, _ in cues.within("NEG_POST", a, b) + relations:
        begin = max([t_end for _, t_end in terminators if t_end <= s] + [a, s - window])
        scopes.append((begin, s))
    return scopes


def is_drug_target(m: Mention, cues: CueIndex) -> bool:
    """The mechanism names what a drug hits: "CXCR4 antagonist", "PD-1 inhibitors", "anti-PD-1"."""
    after = cues.within("DRUG_TARGET_AFTER", m.end, m.end + 2)
    if any(s == m.end or s == m.end + 1 for s, _ in after):
        return True
    return cues.ending_at("DRUG_TARGET_BEFORE", m.start) is not None


def mark_context(
    mentions: list[Mention],
    cues: CueIndex,
    bounds: list[tuple[int, int]],
    sections: list[str | None],
    rules: Rules,
    words: list[str] | None = None,
) -> None:
    """Set ``negated``, ``hedged``, (therapies) ``background`` and (mechanisms) ``target``, in place."""
    window = rules.window("negation_scope")
    scopes: dict[int, list[tuple[int, int]]] = {}
    hedged: dict[int, bool] = {}
    mechanisms = [m for m in mentions if m.label == "MECHANISM"]
    claims = {m.sent for m in mechanisms}
    for m in mentions:
        if m.sent not in scopes:
            scopes[m.sent] = negation_scopes(cues, bounds[m.sent], window)
            hedged[m.sent] = cues.any_within("HEDGE", *bounds[m.sent])
        m.negated = any(s <= m.start < e for s, e in scopes[m.sent])
        m.hedged = hedged[m.sent]
        if m.label == "THERAPY":
            section = sections[m.sent]
            early = section in EARLY_SECTIONS or (section is None and m.sent == 1)
            m.background = (
                is_background_therapy(m, cues, bounds[m.sent], early, m.sent in claims)
                or tissue_source(m, cues, words or [])
                or genetic_ablation(m, mechanisms, cues, words or [])
            )
            m.negated = m.negated or (words is not None and named_as_absent(m, words))
        elif m.label == "MECHANISM":
            m.target = is_drug_target(m, cues)


@Language.factory(
    "pdac_context",
    assigns=["doc._.pdac_mentions"],
    requires=["doc._.pdac_mentions", "doc._.pdac_cues", "doc._.pdac_sections"],
    default_config={"vocabulary": vocabulary_ref(), "rules": rules_ref()},
)
class ContextFlags:
    """Negation, hedging and background flags (see the module docstring); rules in ``context_rules.json``."""

    def __init__(self, nlp: Language, name: str, vocabulary: Vocabulary, rules: Rules) -> None:
        register_extensions()
        self.name = name
        #: the vocabulary the entity matcher matches (relabelled concepts take their category from it)
        self.vocabulary = vocabulary
        self.rules = rules

    def metastasectomies(self, doc: Doc, mentions: list[Mention], bounds: list[tuple[int, int]]) -> None:
        """Resection of a metastasis is metastasectomy (taxonomy.md), not resection of the primary.

        Also when the resected metastases are those of the sentence before ("Brain metastases are
        rare. We resect these lesions."), and a generic surgery term in an abstract whose operation is
        a metastasectomy (:func:`~pdacmine.miner.nlp.therapies.same_operation`).
        """
        resections = [m for m in mentions if m.label == "THERAPY" and m.key == "resection"]
        organs = [m for m in mentions if m.label == "ORGAN" and m.site]
        if not resections:
            return
        words = doc_words(doc)
        cues: CueIndex = pdac_value(doc, "pdac_cues")
        site_sents = {o.sent for o in organs}
        grammar = self.rules.grammar
        for m in resections:
            anaphoric = (
                m.sent - 1 in site_sents
                and m.sent not in site_sents
                and cues.any_within("SITE_ANAPHOR", *bounds[m.sent])
            )
            by_object = grammar is not None and resects_metastasis(m, cues, words, grammar)
            if anaphoric or by_object or resects_a_metastasis(m, organs, words):
                relabel(m, "metastasectomy", self.vocabulary)
        for m in same_operation(mentions, cues, words):
            relabel(m, "metastasectomy", self.vocabulary)

    def __call__(self, doc: Doc) -> Doc:
        mentions = pdac_value(doc, "pdac_mentions")
        if mentions:
            bounds = doc_sentence_bounds(doc)
            cues: CueIndex = pdac_value(doc, "pdac_cues")
            words = doc_words(doc)
            mark_context(mentions, cues, bounds, sentence_sections(doc), self.rules, words)
            mark_claims(mentions, cues, bounds, self.rules.stage_rules, self.vocabulary, words)
            mark_generic_terms(mentions, cues, words, self.rules.generic_therapies)
            mark_descriptions(mentions, words)
            self.metastasectomies(doc, mentions, bounds)
        return doc
