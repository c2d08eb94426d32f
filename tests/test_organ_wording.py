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


def test_lymphatic_metastasis_is_the_mesh_heading_of_nodal_metastasis() -> None:
    out = annotate(
        "Pancreatic cancer outcomes",
        "High expression of the marker in pancreatic cancer correlated with lymphatic metastasis.",
    )
    assert out["document"]["organs"] == ["lymph-node"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Liver metastases developed in all mice after splenic injections of pancreatic cancer cells.",
        "Pancreatic cancer cells were implanted into the spleen, and liver metastases were counted.",
        "Liver metastases arose from spleen-implanted pancreatic tumours in hamsters.",
        "We counted liver metastases in a splenic xenograft mouse model of pancreatic cancer.",
    ],
)
def test_the_organ_cells_are_injected_into_is_no_metastatic_site(sentence: str) -> None:
    out = annotate("A mouse model of pancreatic cancer metastasis", sentence)
    assert out["document"]["organs"] == ["liver"]


def test_skeletal_muscle_is_no_bone() -> None:
    out = annotate("Muscle metastasis of pancreatic cancer", "Skeletal muscle metastases of PDAC are rare.")
    assert out["document"]["organs"] == []


def test_a_stage_word_inside_an_organ_phrase_keeps_its_reading() -> None:
    out = annotate("Pancreatic cancer in mice", "Peritoneal seeding of PDAC was frequent after splenectomy.")
    assert out["document"]["organs"] == ["peritoneum"]
    assert out["document"]["stages"] == ["colonization"]
