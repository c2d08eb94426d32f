"""Organ wordings beyond "<organ> metastasis": MeSH skeleton entry terms and nodal-metastasis wordings.

Texts are invented for these tests; the pipeline uses the shipped vocabulary and rules.
"""

from __future__ import annotations

import pytest

from tests.test_primary import annotate


@pytest.mark.parametrize(
    "sentence",
    ["Positive lymph nodes were found in 40 patients.", "Node-positive patients had shorter survival."],
)
def test_node_positivity_makes_the_lymph_nodes_a_site(sentence: str) -> None:
    """Wordings of nodal metastasis beside "lymph node metastasis" (MET_STRONG cues)."""
    out = annotate(
        "Pancreatic cancer outcomes", f"We reviewed 62 patients with pancreatic ductal adenocarcinoma. {sentence}"
    )
    assert out["document"]["organs"] == ["lymph-node"]


@pytest.mark.parametrize("site", ["humerus", "calcaneus", "metatarsals"])
def test_named_bones_are_bone_sites(site: str) -> None:
    out = annotate(
        "Pancreatic adenocarcinoma: a case report",
        f"The patient had pancreatic adenocarcinoma. Imaging showed a metastasis in the {site}.",
    )
    assert out["document"]["organs"] == ["bone"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Staging laparoscopy was performed to exclude peritoneal metastases.",
        "Brain MRI was negative for metastatic disease.",
        "The lungs were free of metastases.",
        "Bone scintigraphy was negative for metastasis.",
        "Peritoneal lavage cytology was negative for malignancy.",
    ],
)
def test_a_staging_workup_that_finds_nothing_names_no_site(sentence: str) -> None:
    """Negated workup wordings (NEG_PRE "to exclude"; NEG_POST "negative for metastasis", "free of metastases")."""
    out = annotate(
        "Liver metastasis of pancreatic cancer: a case report",
        f"A 60-year-old man had pancreatic adenocarcinoma with liver metastases. {sentence}",
    )
    assert out["document"]["organs"] == ["liver"]
