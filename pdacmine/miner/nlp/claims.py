"""Which mentions the text asserts about PDAC: pure functions that ``pdac_context`` applies.

A mention is *background* (``Mention.background``: counted nowhere, in no tuple) when

- its sentence speaks of cancer in general or of another cancer and never of the pancreas
  ("MMP-2 is associated with invasion of malignant tumours", "in colorectal cancer, MSI predicts
  benefit from immune-based therapies"): STAGE, MECHANISM and THERAPY mentions;
- it is a stage form that names a step of the cascade only in the right context
  (``stage_context`` of the rules file): "in the circulation" or "bloodstream" is the circulation
  stage only when its sentence speaks of tumour cells ("circulating MDSCs" are not CTCs); clonal
  evolution is the primary-tumour stage only when its sentence speaks of metastasis or invasion.

- a stage form is the spread of another cancer: "metachronous metastases of clear-cell renal cell
  carcinoma", "brain metastases from lung cancer" (an ``OTHER_PRIMARY`` cue within
  ``windows.other_primary_of`` tokens after an ``origin_preps`` word right after the stage form), even
  in a sentence that also names PDAC.

- a mechanism is part of a pathological finding (``PATHOLOGY_FINDING`` cues): "tumor thrombi within
  the vessels", "portal vein tumour thrombus" are tumour cells in a vessel, not coagulation.

- a mechanism describes the concept named just before it, in an appositive that opens with "a"/"an"
  (``word_lists.apposition_determiners``) within ``windows.apposition`` tokens, no stop word
  (``apposition_stops``) between: "cathepsin B, a lysosomal protease", "HGF, a multifunctional
  cytokine", "CD31, an endothelial cell marker" define what precedes them and claim nothing of their own.
  A list item is no appositive ("X, Y, a hypoxic microenvironment and stromal cells": an
  ``apposition_list_words`` word before the next ``apposition_ends`` punctuation).

- a matrix protein is the substrate of an adhesion or migration assay (``word_lists.matrix_substrates``
  after a ``SUBSTRATE_BEFORE`` cue or before a ``SUBSTRATE_AFTER`` cue, only list glue between,
  ``word_lists.substrate_glue``): "adhesion to collagen, fibronectin and laminin", "laminin-1 adhesion",
  "collagen-binding integrins", "cells cultured on fibronectin" name what the cells stick to, not
  matrix remodelling.

- a mechanism names the genotype of a model, not a driver: a Cre driver line ("Pdx1-Cre"), or a
  genotype spelled out beside the model's name ("mutant Kras and p53 (KPC model)", "KPC mice
  (Kras G12D; p53 R172H)").

A mechanism carried by extracellular vesicles ("exosomal integrin beta4", "exosomes carrying
miR-21", "MIF in exosomes", and the items of a parenthesis after such a cargo: "exosomal RNAs (e.g.,
microRNAs, lncRNAs)", up to ``windows.cargo_list`` tokens into it) is in the category
extracellular-vesicles (taxonomy: EVs and their cargo), whatever its own category.

A ``stage_context`` rule may instead relabel a stage: vascular invasion seen on imaging
(angiography, CT) is invasion of the major vessels, i.e. local invasion, whereas histological
vascular invasion is intravasation.
"""

from __future__ import annotations

from pdacmine.miner.nlp.cues import CueIndex
from pdacmine.miner.nlp.mention import Mention
from pdacmine.miner.nlp.rules import StageRule, default_rules, normal_form
from pdacmine.miner.nlp.therapies import bracket_before
from pdacmine.miner.nlp.vocab import Vocabulary

#: Facets a statement about cancer in general makes background (organs have their own rules).
GENERIC_FACETS = frozenset({"STAGE", "MECHANISM", "THERAPY"})


def generic_statement(cues: CueIndex, sent: tuple[int, int]) -> bool:
    """The sentence speaks of cancer in general or of another cancer and never names the pancreas."""
    if not (cues.any_within("GENERIC_CANCER", *sent) or cues.any_within("OTHER_PRIMARY", *sent)):
        return False
    return not (cues.any_within("PANCREATIC", *sent) or cues.any_within("PANCREAS_WORD", *sent))


def stage_rule_for(m: Mention, cues: CueIndex, sent: tuple[int, int], rules: tuple[StageRule, ...]) -> StageRule | None:
    """The first ``stage_context`` rule that fires on the STAGE mention ``m``, if any."""
    text = None
    for rule in rules:
        if rule.stage != m.key:
            continue
        if rule.forms is not None:
            text = text or normal_form(m.text)
            if text not in rule.forms and text.rstrip("s") not in rule.forms:
                continue
        present = cues.any_within(rule.cue, *sent)
        if present == (rule.when == "present"):
            return rule
    return None


_GENOTYPE_GLUE = default_rules().word_list("genotype_glue")


def model_genotype(m: Mention, cues: CueIndex, words: list[str], covered: set[int]) -> bool:
    """The MECHANISM mention ``m`` spells out a model's genotype (see the module docstring).

    ``covered`` holds the token positions of every mechanism mention (a genotype lists several).
    """
    after = words[m.end : m.end + 2]
    if len(after) == 2 and after[0] == "-" and after[1].lower().startswith("cre"):
        return True
    if m.end < len(words) and words[m.end].lower().startswith("cre"):
        return True
    i = m.end
    while i < min(len(words), m.end + 8) and (i in covered or words[i].lower() in _GENOTYPE_GLUE):
        i += 1
    if i < len(words) and words[i] == "(" and cues.starting_at("MODEL_NAME", i + 1):
        return True  # "mutant Kras and p53 (KPC model)"
    bracket = bracket_before(words, m.start, limit=9)  # "KPC mice (Kras G12D; p53 R172H)"
    return bracket is not None and cues.ending_at("MODEL_NAME", bracket) is not None


EV_CATEGORY = "extracellular-vesicles"
_CARGO_LIST = default_rules().window("cargo_list")


def vesicle_cargo(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """The MECHANISM mention ``m`` names what extracellular vesicles carry, also as an item of the
    parenthesis that lists a cargo ("exosomal RNAs (e.g., microRNAs and lncRNAs)")."""
    if m.category == EV_CATEGORY:
        return False
    if any(m.start - 2 <= e <= m.start for _, e in cues.within("EV_CARGO_BEFORE", m.start - 6, m.start)):
        return True
    bracket = bracket_before(words, m.start, limit=_CARGO_LIST)
    if bracket is not None and any(
        bracket - 2 <= e <= bracket for _, e in cues.within("EV_CARGO_BEFORE", bracket - 6, bracket)
    ):
        return True
    return cues.starting_at("EV_CARGO_AFTER", m.end) is not None


def relabel(m: Mention, key: str, vocabulary: Vocabulary) -> None:
    concept = vocabulary.get(m.label, key)
    m.key = key
    m.category, m.concept_id = (concept.category, concept.concept_id) if concept else (None, None)


_ORIGIN_PREPS = default_rules().word_list("origin_preps")
_ORIGIN_GAP = default_rules().window("other_primary_of")


def spread_of_other_cancer(m: Mention, cues: CueIndex, words: list[str]) -> bool:
    """The stage form ``m`` is followed by "of/from <another primary cancer>" (module docstring)."""
    if m.end >= len(words) or words[m.end].lower() not in _ORIGIN_PREPS:
        return False
    return cues.any_within("OTHER_PRIMARY", m.end + 1, m.end + 1 + _ORIGIN_GAP)


def in_finding(m: Mention, cues: CueIndex) -> bool:
    """The mechanism ``m`` lies inside a ``PATHOLOGY_FINDING`` phrase ("tumor thrombus")."""
    return any(s <= m.start and m.end <= e for s, e in cues.within("PATHOLOGY_FINDING", m.start - 4, m.start + 1))


_APPOSITION_OPENERS = default_rules().word_list("apposition_determiners")
_APPOSITION_STOPS = default_rules().word_list("apposition_stops")
_APPOSITION_LIST = default_rules().word_list("apposition_list_words")
_APPOSITION_ENDS = default_rules().word_list("apposition_ends")
_APPOSITION_REACH = default_rules().window("apposition")
_APPOSITION_GAP = default_rules().window("apposition_gap")


def in_apposition(m: Mention, words: list[str], ends: set[int], sent: tuple[int, int]) -> bool:
    """The MECHANISM mention ``m`` is in an appositive describing a mechanism just before it (module docstring).

    ``ends`` holds the end positions of every mechanism mention.
    """
    start, end = sent
    for d in range(m.start - 1, max(start + 1, m.start - _APPOSITION_REACH) - 1, -1):
        word = words[d].lower()
        if word in _APPOSITION_STOPS:
            return False
        if word in _APPOSITION_OPENERS and words[d - 1] == ",":
            comma = d - 1
            if not any(comma - _APPOSITION_GAP <= e <= comma and e > start for e in ends):
                return False
            for after in words[m.end : end]:
                if after in _APPOSITION_ENDS:
                    break
                if after.lower() in _APPOSITION_LIST:
                    return False
            return True
    return False


_SUBSTRATES = default_rules().word_list("matrix_substrates")
_SUBSTRATE_GLUE = default_rules().word_list("substrate_glue")
_SUBSTRATE_BEFORE = default_rules().window("substrate_before")
_SUBSTRATE_AFTER = default_rules().window("substrate_after")


def _glue_only(words: list[str], lo: int, hi: int, covered: set[int]) -> bool:
    """Tokens [lo, hi) hold only list glue, other substrates and bracketed short forms ("(Fn)")."""
    depth = 0
    for i in range(lo, hi):
        word = words[i].lower()
        depth += (word == "(") - (word == ")")
        if depth <= 0 and i not in covered and word not in _SUBSTRATE_GLUE:
            return False
    return True


def is_substrate(m: Mention) -> bool:
    return m.label == "MECHANISM" and normal_form(m.text) in _SUBSTRATES


def matrix_substrate(m: Mention, cues: CueIndex, words: list[str], covered: set[int]) -> bool:
    """The MECHANISM mention ``m`` is a matrix protein used as an assay substrate (module docstring).

    ``covered`` holds the token positions of every substrate mention (a list names several).
    """
    short_form = m.start >= 2 and words[m.start - 1] == "(" and m.start - 2 in covered  # "fibronectin (Fn)"
    if not (is_substrate(m) or (m.label == "MECHANISM" and short_form)):
        return False
    for _, e in cues.within("SUBSTRATE_BEFORE", m.start - _SUBSTRATE_BEFORE, m.start):
        if e <= m.start and _glue_only(words, e, m.start, covered):
            return True
    after = cues.within("SUBSTRATE_AFTER", m.end, m.end + _SUBSTRATE_AFTER + 1)
    return any(_glue_only(words, m.end, s, covered) for s, _ in after)


def mark_claims(
    mentions: list[Mention],
    cues: CueIndex,
    bounds: list[tuple[int, int]],
    stage_rules: tuple[StageRule, ...],
    vocabulary: Vocabulary,
    words: list[str],
) -> None:
    """Set ``background`` (and relabel stages) by the rules of the module docstring, in place."""
    generic: dict[int, bool] = {}
    covered = {i for m in mentions if m.label == "MECHANISM" for i in range(m.start, m.end)}
    ends = {m.end for m in mentions if m.label == "MECHANISM"}
    substrates = {i for m in mentions if is_substrate(m) for i in range(m.start, m.end)}
    vesicles = cues.count("EV_CARGO_BEFORE") + cues.count("EV_CARGO_AFTER") > 0
    for m in mentions:
        if m.label not in GENERIC_FACETS:
            continue
        if m.label == "MECHANISM" and cues.count("MODEL_NAME") and model_genotype(m, cues, words, covered):
            m.background = True
            continue
        if m.label == "MECHANISM" and in_apposition(m, words, ends, bounds[m.sent]):
            m.background = True
            continue
        if substrates and matrix_substrate(m, cues, words, substrates):
            m.background = True
            continue
        if m.label == "MECHANISM" and in_finding(m, cues):
            m.background = True
            continue
        if m.label == "MECHANISM" and vesicles and vesicle_cargo(m, cues, words):
            m.category = EV_CATEGORY
        if m.sent not in generic:
            generic[m.sent] = generic_statement(cues, bounds[m.sent])
        if generic[m.sent]:
            m.background = True
            continue
        if m.label == "STAGE" and spread_of_other_cancer(m, cues, words):
            m.background = True
            continue
        if m.label == "STAGE":
            rule = stage_rule_for(m, cues, bounds[m.sent], stage_rules)
            if rule is None:
                continue
            if rule.to is None:
                m.background = True
            else:
                relabel(m, rule.to, vocabulary)
