"""Issue #8, point 3: which primary cancer an abstract is about decides whether it yields facts.

A PDAC paper that names another cancer in passing keeps its facts; a paper about another primary,
or about metastasis *to* the pancreas, yields nothing. The texts are invented for these tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from pdacmine.miner.annotate import annotate_records


def annotate(title: str, abstract: str) -> dict[str, Any]:
    return next(iter(annotate_records([{"pmid": "1", "title": title, "abstract": abstract}]))).to_json()


def test_a_pdac_paper_that_names_another_cancer_in_passing_keeps_its_facts() -> None:
    out = annotate(
        "ZEB1 drives liver metastasis of pancreatic ductal adenocarcinoma",
        "Pancreatic ductal adenocarcinoma (PDAC) spreads early to the liver. As in breast cancer, "
        "epithelial plasticity has been proposed to drive dissemination. Here we show that ZEB1 promotes "
        "liver metastasis of PDAC cells in mice. Patients with liver metastases received gemcitabine.",
    )
    doc = out["document"]
    assert out["primary"] == "pancreatic"
    assert doc["organs"] == ["liver"]
    assert ["emt-plasticity", "liver"] in doc["pairs"]["mechanism-organ"]
    assert "gemcitabine" in doc["therapies"]


OTHER_PRIMARIES = [
    (
        "ZEB1 and liver metastasis of colorectal cancer",
        "Colorectal cancer frequently metastasizes to the liver. ZEB1 promotes liver metastasis of colorectal "
        "cancer cells in mice. Patients with liver metastases received FOLFOX, unlike pancreatic cancer cohorts.",
    ),
    (
        "Renal cell carcinoma metastatic to the pancreas",
        "Metastases to the pancreas are rare. A patient with renal cell carcinoma developed pancreatic "
        "metastases eight years after nephrectomy. The pancreatic metastasis was resected, and lung "
        "metastases were treated with sunitinib.",
    ),
    (
        "Breast carcinoma in the pancreas mimicking pancreatic adenocarcinoma",
        "A woman treated for breast cancer presented with a pancreatic mass and liver metastases. Histology "
        "showed metastatic breast carcinoma rather than pancreatic ductal adenocarcinoma. She received "
        "paclitaxel for the liver metastases.",
    ),
]


@pytest.mark.parametrize(("title", "abstract"), OTHER_PRIMARIES, ids=["colorectal", "to-pancreas", "mimic"])
def test_a_paper_about_another_primary_yields_nothing(title: str, abstract: str) -> None:
    out = annotate(title, abstract)
    assert out["primary"] == "other"
    assert out["tuples"] == []
    assert not any(out["document"][facet] for facet in ("organs", "stages", "mechanisms", "therapies"))
