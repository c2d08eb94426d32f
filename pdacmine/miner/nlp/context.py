"""``pdac_context``: negation, hedging and background flags of each mention (ConText-style rules).

- Negation: a NEG_PRE trigger ("no", "not", "without", "absence of", "neither ... nor") negates
  what follows it, up to ``windows.negation_scope`` tokens and never past a terminator ("but",
  "however", "whereas", ";") or the end of the sentence; a NEG_POST trigger ("was not observed",
  "were absent") negates what precedes it the same way. Pseudo-triggers ("not only",
  "with or without", "no longer") negate nothing.
- Hedging: a HEDGE cue anywhere in the sentence ("may", "might", "suggest", "potential",
  "likely", "hypothesize") hedges every mention of the sentence.
- Drug target: a mechanism named as what a drug hits ("the CXCR4 antagonist BL-8040",
  "anti-PD-1") is no driver claim on its own (no mechanism–metastasis tuple without an organ
  or stage).
- Background therapy: a generic modality ("chemotherapy") in a background statement
  ("PDAC responds poorly to chemotherapy"), or any therapy in a sentence with a background
  cue in the BACKGROUND section or at the start of an unstructured abstract, is background
  and makes no tuple and no document-level therapy.

- Claims about PDAC (:mod:`pdacmine.miner.nlp.claims`): a statement about cancer in general or
  another cancer, and a stage form named without its context ("circulating MDSCs"), is background.

- Metastasectomy: "resection of (the) brain metastases" or "the liver metastasis was resected"
  is metastasectomy, not resection of the primary.

Polarity belongs to a relation, not a mention: :mod:`pdacmine.miner.relations` computes it.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.claims import mark_claims
from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention, doc_words, register_extensions
from pdacmine.miner.nlp.organs import sentence_bounds
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.sections import Section, section_at
from pdacmine.miner.nlp.vocab import Vocabulary, default_vocabulary

#: Therapy keys that name a kind of treatment rather than an agent (taxonomy.md).
MODALITIES = frozenset(
    {
        "chemotherapy",
        "immunotherapy",
        "radiotherapy",
        "sbrt",
        "chemoradiotherapy",
        "resection",
        "metastasectomy",
        "hepatic-arterial-infusion",
        "intraperitoneal-chemotherapy",
        "hipec",
        "pipac",
        "ablation",
        "targeted-therapy",
        "surgery",
    }
)
_EARLY_SECTIONS = frozenset({"BACKGROUND", "OBJECTIVE"})


def negation_scopes(cues: CueIndex, sent: tuple[int, int], window: int) -> list[tuple[int, int]]:
    """Token ranges negated inside one sentence."""
    a, b = sent
    terminators = cues.within("TERMINATE", a, b)
    scopes = []
    for _, e in cues.within("NEG_PRE", a, b):
        stop = min([t for t, _ in terminators if t >= e] + [b, e + window])
        scopes.append((e, stop))
    for s, _ in cues.within("NEG_POST", a, b):
        begin = max([t_end for _, t_end in terminators if t_end <= s] + [a, s - window])
        scopes.append((begin, s))
    return scopes


def is_background_therapy(
    m: Mention, cues: CueIndex, sent: tuple[int, int], section: str | None, first_abstract_sentence: bool
) -> bool:
    background_cue = cues.any_within("BACKGROUND_THERAPY", *sent)
    early = section in _EARLY_SECTIONS or (section is None and first_abstract_sentence)
    if m.key in MODALITIES:
        if background_cue and not cues.any_within("TREATMENT_CONTEXT", *sent):
            return True
        return early and (background_cue or not cues.any_within("TREATMENT_CONTEXT", *sent))
    return early and background_cue and not cues.any_within("TREATMENT_CONTEXT", *sent)


def is_drug_target(m: Mention, cues: CueIndex) -> bool:
    """The mechanism names what a drug hits: "CXCR4 antagonist", "PD-1 inhibitors", "anti-PD-1"."""
    after = cues.within("DRUG_TARGET_AFTER", m.end, m.end + 2)
    if any(s == m.end or s == m.end + 1 for s, _ in after):
        return True
    return cues.ending_at("DRUG_TARGET_BEFORE", m.start) is not None


_OBJECT_LINK = frozenset({"of", "the", "a", "an", "his", "her", "their", "all", "isolated", "solitary", "single"})


def resects_a_metastasis(m: Mention, organs: list[Mention], words: list[str]) -> bool:
    """ "resection of (the) brain metastases", "the liver metastasis was resected": metastasectomy."""
    for o in organs:
        if o.sent != m.sent or not o.site:
            continue
        between = [w.lower() for w in words[m.end : o.start]]
        if o.start >= m.end and len(between) <= 4 and all(w in _OBJECT_LINK for w in between):
            return True
        if o.end <= m.start and m.text.lower().startswith("resected"):
            gap = [w.lower() for w in words[o.end : m.start]]
            if len(gap) <= 3 and set(gap) <= {"was", "were", "is", "are", "completely", "surgically", "then"}:
                return True
    return False


def mark_context(
    mentions: list[Mention], cues: CueIndex, bounds: list[tuple[int, int]], sections: list[str | None], rules: Rules
) -> None:
    """Set ``negated``, ``hedged`` and (therapies) ``background`` on each mention, in place."""
    window = rules.window("negation_scope")
    scopes: dict[int, list[tuple[int, int]]] = {}
    hedged: dict[int, bool] = {}
    for m in mentions:
        if m.sent not in scopes:
            scopes[m.sent] = negation_scopes(cues, bounds[m.sent], window)
            hedged[m.sent] = cues.any_within("HEDGE", *bounds[m.sent])
        m.negated = any(s <= m.start < e for s, e in scopes[m.sent])
        m.hedged = hedged[m.sent]
        if m.label == "THERAPY":
            m.background = is_background_therapy(m, cues, bounds[m.sent], sections[m.sent], m.sent == 1)
        elif m.label == "MECHANISM":
            m.target = is_drug_target(m, cues)


def sentence_sections(doc: Doc, starts: list[int], sections: list[Section]) -> list[str | None]:
    return [section_at(sections, doc[s].idx) if s < len(doc) else None for s in starts]


@Language.factory(
    "pdac_context",
    assigns=["doc._.pdac_mentions"],
    requires=["doc._.pdac_mentions", "doc._.pdac_cues", "doc._.pdac_sections"],
)
class ContextFlags:
    """Negation, hedging and background flags (see the module docstring); rules in ``context_rules.json``."""

    def __init__(self, nlp: Language, name: str = "pdac_context") -> None:
        register_extensions()
        self.name = name
        self.rules = default_rules()
        self.nlp = nlp

    @property
    def vocabulary(self) -> Vocabulary:
        """The vocabulary the entity matcher matches (the default one without a matcher)."""
        matcher = self.nlp.get_pipe("pdac_entity_matcher") if "pdac_entity_matcher" in self.nlp.pipe_names else None
        return getattr(matcher, "vocabulary", None) or default_vocabulary()

    def metastasectomies(self, doc: Doc, mentions: list[Mention]) -> None:
        """Resection of a metastasis is metastasectomy (taxonomy.md), not resection of the primary."""
        resections = [m for m in mentions if m.label == "THERAPY" and m.key == "resection"]
        organs = [m for m in mentions if m.label == "ORGAN" and m.site]
        if not resections or not organs:
            return
        concept = self.vocabulary.get("THERAPY", "metastasectomy")
        words = doc_words(doc)
        for m in resections:
            if resects_a_metastasis(m, organs, words):
                m.key = "metastasectomy"
                if concept is not None:
                    m.category, m.concept_id = concept.category, concept.concept_id

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc._.pdac_mentions
        if mentions:
            starts = doc._.pdac_sent_starts
            sections = sentence_sections(doc, starts, doc._.pdac_sections or [(0, None)])
            bounds = sentence_bounds(starts, len(doc))
            mark_context(mentions, doc._.pdac_cues, bounds, sections, self.rules)
            mark_claims(mentions, doc._.pdac_cues, bounds, self.rules.stage_rules, self.vocabulary)
            self.metastasectomies(doc, mentions)
        return doc
