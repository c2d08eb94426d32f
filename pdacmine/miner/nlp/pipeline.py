"""The extraction pipeline: a blank English pipeline with the scispaCy tokenizer and pdac components.

Components, in order (all registered spaCy factories, usable with ``nlp.add_pipe(name)``):

==========================  ==========================================================
``pdac_sentence_fixes``     sentences that survive "e.g.", "et al.", "Fig. 2", "vs."
``pdac_abbreviations``      scispaCy's Schwartz & Hearst abbreviation definitions
``pdac_cues``               trigger phrases of ``data/context_rules.json``
``pdac_entity_matcher``     vocabulary concepts (ORGAN, STAGE, MECHANISM, THERAPY)
``pdac_organ_context``      organs that are sites of metastasis; the primary cancer
``pdac_context``            negation, hedging, background, claims about PDAC, therapy terms
``pdac_ents``               the counted entities in ``doc.ents``
``pdac_tuples``             evidence tuples
==========================  ==========================================================

The vocabulary and the rules reach the components through their factory config (registered
functions of :mod:`pdacmine.miner.nlp.resources`), so ``nlp.config`` says what a pipeline
matches. Results are spaCy-native as well: ``doc.spans["pdac"]`` and ``doc.ents`` (see
:mod:`pdacmine.miner.nlp.mention`), so displaCy renders a pdacmine Doc and components added after
pdacmine's (negspacy, a linker) read its entities.

No model is needed or downloaded. ``model="en_core_sci_sm"`` (or a path) runs an installed
spaCy/scispaCy pipeline first and adds the pdac components after it; its parser then
provides the sentences.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from pdacmine import __version__
from pdacmine.errors import InputError
from pdacmine.miner.nlp import abbreviations, context, cues, entities, ents, organs, sentences, tuples  # noqa: F401  (factories)
from pdacmine.miner.nlp.digest import code_digest
from pdacmine.miner.nlp.mention import SPANS_KEY
from pdacmine.miner.nlp.resources import rules_ref, vocabulary_ref
from pdacmine.miner.nlp.rules import default_rules
from pdacmine.miner.nlp.tokenize import make_tokenizer
from pdacmine.miner.nlp.vocab import Vocabulary, default_vocabulary

logger = logging.getLogger(__name__)

PDAC_COMPONENTS = ("pdac_cues", "pdac_entity_matcher", "pdac_organ_context", "pdac_context", "pdac_ents", "pdac_tuples")


def extractor_version(vocab: Vocabulary | None = None) -> str:
    """pdacmine version + vocabulary, rules-file and rule-code digests: ``0.1.0+v3f2a9c1b2d+r8c1d2e3f+c1a2b3c4d``.

    The code digest covers the rule modules and the claim model file (:mod:`pdacmine.miner.nlp.digest`).
    """
    vocabulary = vocab or default_vocabulary()
    return f"{__version__}+v{vocabulary.version}+r{default_rules().digest}+c{code_digest()}"[:40]


def _load_model(model: str) -> Language:
    if not (spacy.util.is_package(model) or Path(model).expanduser().exists()):
        raise InputError(f"model {model} is not installed; the default pipeline needs none (omit --model)")
    try:
        return spacy.load(model)
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(f"model {model} cannot be loaded: {exc}") from exc


def tokenizer_pipeline() -> Language:
    """Tokenizer + sentence splitting only (the speed baseline of ``benchmarks/extract.py``)."""
    nlp = spacy.blank("en")
    nlp.tokenizer = make_tokenizer(nlp)
    nlp.add_pipe("pdac_sentence_fixes")
    return nlp


def build_pipeline(
    user_vocab: str | Path | None = None,
    model: str | None = None,
    spans_key: str | None = SPANS_KEY,
    rules_file: str | Path | None = None,
) -> Language:
    """A new pipeline matching the shipped vocabulary plus ``user_vocab`` (default: the user's file).

    ``model`` runs an installed spaCy/scispaCy pipeline first; ``spans_key`` names the ``doc.spans``
    group of the mentions (None: no group); ``rules_file`` replaces ``context_rules.json``.
    """
    nlp = _load_model(model) if model else spacy.blank("en")
    nlp.add_pipe("pdac_sentence_fixes", first=True)
    nlp.tokenizer = make_tokenizer(nlp)
    nlp.add_pipe("pdac_abbreviations")
    vocabulary, rules = vocabulary_ref(user_vocab), rules_ref(rules_file)
    configs: dict[str, dict[str, Any]] = {
        "pdac_cues": {"resync_sentences": bool(model), "rules": rules},
        "pdac_entity_matcher": {"vocabulary": vocabulary, "rules": rules, "spans_key": spans_key},
        "pdac_organ_context": {"rules": rules},
        "pdac_context": {"vocabulary": vocabulary, "rules": rules},
        "pdac_tuples": {"rules": rules},
    }
    for name in PDAC_COMPONENTS:
        nlp.add_pipe(name, config=configs.get(name, {}))
    return nlp


@lru_cache(maxsize=2)
def get_pipeline(model: str | None = None) -> Language:
    """The pipeline for this process with the default vocabulary and rules, built once."""
    logger.info("building the extraction pipeline%s", f" on model {model}" if model else "")
    return build_pipeline(model=model)
