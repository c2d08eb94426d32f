"""``pdac_context``: negation, hedging and background flags of each mention (ConText-style rules).

- Negation: a NEG_PRE trigger ("no", "not", "without", "absence of", "neither ... nor") negates
  what follows it, up to ``windows.negation_scope`` tokens and never past a terminator ("but",
  "however", "whereas", ";") or the end of the sentence; a NEG_POST trigger ("was not observed",
  "were absent") negates what precedes it the same way. Pseudo-triggers ("not only",
  "with or without", "no longer") negate nothing.
- Hedging: a HEDGE cue anywhere in the sentence ("may", "might", "suggest", "potential",
  "likely", "hypothesize") hedges every mention of the sentence.
- Background therapy: a generic modality ("chemotherapy") in a background statement
  ("PDAC responds poorly to chemotherapy"), or any therapy in a sentence with a background
  cue in the BACKGROUND section or at the start of an unstructured abstract, is background
  and makes no tuple and no document-level therapy.

Polarity belongs to a relation, not a mention: :mod:`pdacmine.miner.relations` computes it.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention, register_extensions
from pdacmine.miner.nlp.organs import sentence_bounds
from pdacmine.miner.nlp.rules import Rules, default_rules
from pdacmine.miner.nlp.sections import Section, section_at

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
    m: Mention,
    cues: CueIndex,
    sent: tuple[int, int],
    section: str | None,
    first_abstract_sentence: bool,
) -> bool:
    background_cue = cues.any_within("BACKGROUND_THERAPY", *sent)
    early = section in _EARLY_SECTIONS or (section is None and first_abstract_sentence)
    if m.key in MODALITIES:
        if background_cue and not cues.any_within("TREATMENT_CONTEXT", *sent):
            return True
        return early and (background_cue or not cues.any_within("TREATMENT_CONTEXT", *sent))
    return early and background_cue and not cues.any_within("TREATMENT_CONTEXT", *sent)


def mark_context(
    mentions: list[Mention],
    cues: CueIndex,
    bounds: list[tuple[int, int]],
    sections: list[str | None],
    rules: Rules,
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

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc._.pdac_mentions
        if mentions:
            starts = doc._.pdac_sent_starts
            sections = sentence_sections(doc, starts, doc._.pdac_sections or [(0, None)])
            mark_context(
                mentions,
                doc._.pdac_cues,
                sentence_bounds(starts, len(doc)),
                sections,
                self.rules,
            )
        return doc
