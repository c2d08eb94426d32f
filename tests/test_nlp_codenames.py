"""Code-named compounds ("XY-123"): drugs only where the text says so, keyed by their spelling.

Texts are written for these tests; the pipeline uses the shipped vocabulary and rules.
"""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language

from pdacmine.miner.annotate import doc_to_record
from pdacmine.miner.nlp.codenames import code_spans
from pdacmine.miner.nlp.pipeline import build_pipeline

TITLE = "Pancreatic cancer metastasis"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline(spans_key=None)


def document(nlp: Language, abstract: str) -> dict[str, Any]:
    return doc_to_record(nlp(f"{TITLE}\n{abstract}"), "1").to_json()["document"]  # type: ignore[no-any-return]


def test_code_shapes() -> None:
    words = ["the", "QZ", "-", "417", "and", "QZ4170", "or", "PANC", "-", "1", "and", "IL", "-", "6"]
    assert [c.text for c in code_spans(words)] == ["QZ-417", "QZ4170"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # a drug word right before the code; its modifier names the class
        ("Mice received the antiangiogenic agent QZ-417 every other day.", {"qz-417": "targeted"}),
        ("The cytotoxic agent QZ-417 was given to mice.", {"qz-417": "chemotherapy"}),
        ("The compound QZ-417 was given to mice.", {"qz-417": "other"}),
        # a parenthesis after a drug word, and a code coordinated with a code already a drug
        ("Small molecule inhibitors of invasion (QZ-417 and WR9031) were tested in vitro.",
         {"qz-417": "targeted", "wr9031": "targeted"}),
        # apposition after the code
        ("Cells were treated with QZ-417, a selective kinase inhibitor.", {"qz-417": "targeted"}),
        # coordinated with a vocabulary drug: that drug's class
        ("We compared paclitaxel and QZ4170 in mice.", {"paclitaxel": "chemotherapy", "qz4170": "chemotherapy"}),
        # another name of a vocabulary drug is that drug
        ("Mice received the Src inhibitor QZ-417 (dasatinib). QZ-417 was well tolerated.", {"dasatinib": "targeted"}),
    ],
)  # fmt: skip
def test_code_named_drugs(nlp: Language, abstract: str, expected: dict[str, str]) -> None:
    doc = document(nlp, abstract)
    assert set(doc["therapies"]) == set(expected)
    assert set(doc["therapy_classes"]) == set(expected.values())


@pytest.mark.parametrize(
    "abstract",
    [
        "QZ-417 was high in the serum of patients.",  # no drug word: a code alone is no drug
        "We compared gemcitabine and QZ4170 in mice. QZ4170 cells were resistant.",  # a cell line
        "The inhibitor MMP-9 was not measured.",  # inside a vocabulary concept (a gene)
    ],
)
def test_codes_that_are_no_drugs(nlp: Language, abstract: str) -> None:
    therapies = document(nlp, abstract)["therapies"]
    assert not [t for t in therapies if t[:2] in {"qz", "mm"}]


def test_every_occurrence_of_a_confirmed_code_is_the_drug(nlp: Language) -> None:
    abstract = "The antiangiogenic agent QZ-417 was studied. QZ-417 reduced liver metastases in mice."
    pairs = document(nlp, abstract)["pairs"]["therapy-organ"]
    assert ["qz-417", "liver"] in pairs
