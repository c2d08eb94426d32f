"""Therapies the text gives, tests or proposes: surface forms, background lines, generic terms for named drugs.

Texts are written for these tests; the pipeline uses the shipped vocabulary and rules.
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from pdacmine.miner.extract import doc_to_record
from pdacmine.miner.nlp.pipeline import build_pipeline

TITLE = "Pancreatic cancer metastasis"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline(spans_key=None)


def therapies(nlp: Language, abstract: str, title: str = TITLE) -> list[str]:
    return doc_to_record(nlp(f"{title}\n{abstract}"), "1")["document"]["therapies"]  # type: ignore[no-any-return]


def test_suspended_hyphen_exposes_the_first_word(nlp: Language) -> None:
    abstract = (
        "We studied mice. In pancreatic cancer models, the dense stroma is a barrier to chemo- and immunotherapy drugs."
    )
    assert therapies(nlp, abstract) == ["chemotherapy", "immunotherapy"]
