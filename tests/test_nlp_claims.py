"""What the text asserts about PDAC: stage forms that need context, statements about cancer in general.

Texts are written for these tests; the pipeline uses the shipped vocabulary and rules.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from spacy.language import Language

from pdacmine.errors import InputError
from pdacmine.miner.annotate import doc_to_record
from pdacmine.miner.nlp.pipeline import build_pipeline
from pdacmine.miner.nlp.rules import RULES_FILE, parse_rules

TITLE = "Pancreatic cancer metastasis"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline(spans_key=None)


def document(nlp: Language, abstract: str, title: str = TITLE) -> dict[str, object]:
    return doc_to_record(nlp(f"{title}\n{abstract}"), "1").to_json()["document"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("abstract", "stages"),
    [
        ("Myeloid-derived suppressor cells were counted in the circulation of pancreatic cancer patients.", []),
        ("Pancreatic cancer cells survive in the circulation as clusters.", ["circulation"]),
        ("Circulating tumour cells were counted in portal venous blood of PDAC patients.", ["circulation"]),
        ("Clonal evolution shaped the pancreatic tumours of these patients.", []),
        ("Clonal evolution in the primary tumour gives rise to metastasis of pancreatic cancer.", ["primary-tumor"]),
        ("A metastatic subclone emerged in the pancreatic primary.", ["primary-tumor"]),
        # a subclone established or selected from a cell line is a cell line, not clonal evolution
        ("A highly invasive subclone was established from the pancreatic cancer cell line and metastasized.", []),
        ("Metastatic subclones selected from the parental line metastasized to the liver of mice.", []),
        ("Vascular invasion seen on computed tomography precluded resection of the pancreatic cancer.", []),
        ("Histological vascular invasion of pancreatic cancer predicted distant metastasis.", ["intravasation"]),
        ("Lymph vessel invasion was frequent in pancreatic cancer.", ["intravasation"]),
        ("Oral bacteria may colonize the pancreas of patients with pancreatic cancer.", []),
        # disseminated cells are dormancy only when the text calls them dormant, latent or residual
        ("Lineage tracing followed the disseminated cancer cells of pancreatic cancer in mice.", []),
        ("Dormant disseminated cancer cells of pancreatic cancer persisted in mice.", ["dormancy"]),
        ("Pancreatic cancer cells colonize the liver of mice after splenic injection.", ["colonization"]),
    ],
)
def test_stage_forms_that_need_their_context(nlp: Language, abstract: str, stages: list[str]) -> None:
    found = document(nlp, abstract)["stages"]
    assert [s for s in found if s != "local-invasion"] == stages  # type: ignore[union-attr]


def test_vascular_invasion_on_imaging_is_local_invasion(nlp: Language) -> None:
    doc = document(nlp, "Vascular invasion seen on computed tomography precluded surgery of the pancreatic cancer.")
    assert doc["stages"] == ["local-invasion"]


@pytest.mark.parametrize(
    ("abstract", "stages", "mechanisms"),
    [
        ("MMP-9 promotes invasion and metastasis in many cancers.", [], []),
        ("In colorectal cancer, ZEB1 drives invasion and metastasis.", [], []),
        ("MMP-9 promotes invasion and metastasis in many cancers, including pancreatic cancer.", ["local-invasion"],
         ["ecm-remodeling"]),
        ("MMP-9 promotes invasion and metastasis of PDAC cells.", ["local-invasion"], ["ecm-remodeling"]),
    ],
)  # fmt: skip
def test_statements_about_cancer_in_general_assert_nothing_about_pdac(
    nlp: Language, abstract: str, stages: list[str], mechanisms: list[str]
) -> None:
    doc = document(nlp, abstract)
    assert (doc["stages"], doc["mechanisms"]) == (stages, mechanisms)


def test_generic_statement_drops_its_therapy_but_not_a_pdac_one(nlp: Language) -> None:
    abstract = (
        "In colorectal cancer, microsatellite instability predicts benefit from immune checkpoint inhibitors. "
        "Patients with pancreatic cancer received nivolumab."
    )
    assert document(nlp, abstract)["therapies"] == ["nivolumab"]


def test_stage_context_must_name_known_cue_lists() -> None:
    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw["stage_context"] = [{"stage": "circulation", "forms": ["bloodstream"], "cue": "NO_SUCH_CUES"}]
    with pytest.raises(InputError, match="NO_SUCH_CUES"):
        parse_rules(raw)
    raw["stage_context"] = [{"stage": "circulation", "cue": "TUMOR_CELL", "when": "sometimes"}]
    with pytest.raises(InputError, match="when"):
        parse_rules(raw)


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("In a model driven by Pdx1-Cre-mediated activation of mutant Kras and p53 (KPC model), ZEB1 was required "
         "for invasion and metastasis.", ["emt-plasticity"]),
        ("KPC mice (Kras G12D; p53 R172H) developed liver metastases, which ZEB1 promoted.", ["emt-plasticity"]),
        ("Mutant p53 promoted liver metastasis of pancreatic cancer compared with p53 loss.", ["driver-genetics"]),
    ],
)  # fmt: skip
def test_model_genotypes_are_no_drivers(nlp: Language, abstract: str, mechanisms: list[str]) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("Exosomal ITGB4 primed the lung pre-metastatic niche of pancreatic cancer.", ["extracellular-vesicles"]),
        ("Exosomes carrying miR-21 promoted liver metastasis of pancreatic cancer.", ["extracellular-vesicles"]),
        ("ITGB4 in exosomes promoted liver metastasis of pancreatic cancer.", ["extracellular-vesicles"]),
        ("ITGB4 promoted liver metastasis of pancreatic cancer.", ["adhesion-migration"]),
        ("TGF-beta and exosomes promoted liver metastasis of pancreatic cancer.",
         ["cytokine-chemokine", "extracellular-vesicles"]),
    ],
)  # fmt: skip
def test_vesicle_cargo_is_in_the_extracellular_vesicle_category(
    nlp: Language, abstract: str, mechanisms: list[str]
) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


def test_a_short_form_of_pancreatic_cancer_names_the_pancreas(nlp: Language) -> None:
    abstract = "Pancreatic cancer (PC) is lethal. In colorectal cancer and in PC, CXCR4 promotes invasion."
    assert document(nlp, abstract, title="A study")["mechanisms"] == ["cytokine-chemokine"]
    other = "Pancreatic neuroendocrine tumours (PNETs) are rare. In colorectal cancer and PNETs, CXCR4 drives invasion."
    assert document(nlp, other, title="A study")["mechanisms"] == []


def test_emt_needs_no_definition(nlp: Language) -> None:
    abstract = "EMT confers resistance to gemcitabine and promotes metastasis of pancreatic cancer."
    assert document(nlp, abstract, title="A study")["mechanisms"] == ["emt-plasticity"]


@pytest.mark.parametrize(
    ("abstract", "background"),
    [
        ("The gastric wall showed tumor thrombi in its veins.", True),
        ("CT showed a portal vein tumour thrombus.", True),
        ("Platelet-driven thrombosis promoted liver metastasis of pancreatic cancer cells.", False),
    ],
)  # fmt: skip
def test_a_pathological_finding_names_no_mechanism(nlp: Language, abstract: str, background: bool) -> None:
    mentions = [m for m in nlp(f"{TITLE}\n{abstract}")._.pdac_mentions if m.label == "MECHANISM"]
    assert mentions
    assert all(m.background == background for m in mentions)


@pytest.mark.parametrize(
    ("abstract", "background"),
    [
        ("The specimen held pancreatic ductal adenocarcinoma and metachronous metastases of clear-cell renal "
         "cell carcinoma.", True),
        ("Pancreatic ductal adenocarcinoma and metachronous metastases from renal cell carcinoma coexisted.", True),
        ("Pancreatic cancer came back as metachronous metastases in the liver.", False),
        ("Metachronous metastases of pancreatic cancer were seen in the lungs.", False),
    ],
)  # fmt: skip
def test_the_spread_of_another_cancer_is_no_pdac_stage(nlp: Language, abstract: str, background: bool) -> None:
    stages = [m for m in nlp(f"{TITLE}\n{abstract}")._.pdac_mentions if m.label == "STAGE"]
    assert stages
    assert all(m.background == background for m in stages)


def record(nlp: Language, abstract: str) -> dict[str, Any]:
    return doc_to_record(nlp(f"{TITLE}\n{abstract}"), "1").to_json()  # type: ignore[no-any-return]


def _entities(rec: dict[str, Any], label: str) -> list[tuple[str, bool]]:
    return [(e["key"], e["negated"]) for e in rec["entities"] if e["label"] == label]


@pytest.mark.parametrize(
    ("abstract", "negated"),
    [
        ("SMAD4 loss was not correlated with lymph node metastasis of pancreatic cancer.", True),
        ("SMAD4 loss correlated with lymph node metastasis of pancreatic cancer.", False),
        ("Liver metastases of pancreatic cancer were found, and thrombosis was ruled out.", True),
    ],
)
def test_a_relation_denied_after_its_subject_negates_the_subject(nlp: Language, abstract: str, negated: bool) -> None:
    rec = record(nlp, abstract)
    assert [n for _, n in _entities(rec, "MECHANISM")] == [negated]
    assert all(t["negated"] == negated for t in rec["tuples"])


def test_a_gene_symbol_is_not_matched_in_title_case_where_that_word_names_an_organ(nlp: Language) -> None:
    rec = record(nlp, "Nodal micrometastases of pancreatic cancer predicted relapse. Zeb1 drives invasion.")
    assert _entities(rec, "ORGAN") == [("lymph-node", False)]
    assert [k for k, _ in _entities(rec, "MECHANISM")] == ["zeb1"]


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("Liver metastases were stained with a polyclonal antibody against the receptor in pancreatic cancer.", []),
        ("Polyclonal seeding of pancreatic cancer gives rise to liver metastases.", ["driver-genetics"]),
        ("Invasion of blood vessels by pancreatic cancer predicted liver metastasis.", []),
        ("Tumour vasculature supports liver metastasis of pancreatic cancer.", ["angiogenesis-lymphangiogenesis"]),
    ],
)
def test_words_that_name_anatomy_or_reagents_are_no_mechanism(
    nlp: Language, abstract: str, mechanisms: list[str]
) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


@pytest.mark.parametrize(
    ("abstract", "negated"),
    [
        ("Nuclear ZEB1 staining was not correlated with lymph node metastasis of pancreatic cancer.", True),
        ("In pancreatic cancer, the score is not associated with ZEB1 or lymph node metastasis.", True),
        ("In pancreatic cancer, the score is associated with ZEB1 and lymph node metastasis.", False),
        ("Lymph node metastasis of pancreatic cancer is independent of ZEB1.", None),
    ],
)
def test_a_denied_relation_negates_what_follows_it_too(nlp: Language, abstract: str, negated: bool | None) -> None:
    rec = record(nlp, abstract)
    if negated is None:  # only what follows "is independent of" is negated
        assert _entities(rec, "ORGAN") == [("lymph-node", False)]
        assert _entities(rec, "MECHANISM") == [("zeb1", True)]
        return
    assert _entities(rec, "MECHANISM") == [("zeb1", negated)]
    assert _entities(rec, "ORGAN") == [("lymph-node", negated)]


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("Cathepsin D, a lysosomal protease, promotes liver metastasis of pancreatic cancer.", ["ecm-remodeling"]),
        ("Autophagy promotes liver metastasis of pancreatic cancer.", ["stress-autophagy"]),
        ("The chemotactic CCL21-CCR7 axis promotes lymph node metastasis of pancreatic cancer.",
         ["cytokine-chemokine"]),
        ("Stromal-derived factor-1α promotes perineural invasion of pancreatic cancer.",
         ["cytokine-chemokine", "neural-invasion"]),
    ],
)  # fmt: skip
def test_attribute_words_are_no_mechanism_of_their_own(nlp: Language, abstract: str, mechanisms: list[str]) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("The RON oncogene is expressed in liver metastases of pancreatic cancer.", []),
        ("Tumour suppressor genes were sequenced in liver metastases of pancreatic cancer.", []),
        ("Driver mutations were enriched in liver metastases of pancreatic cancer.", ["driver-genetics"]),
    ],
)
def test_the_words_oncogene_and_tumour_suppressor_gene_name_no_driver(
    nlp: Language, abstract: str, mechanisms: list[str]
) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("Cathepsin B, an autophagy protein, promotes liver metastasis of pancreatic cancer.", ["ecm-remodeling"]),
        ("The receptor for HGF, a multifunctional cytokine, promotes liver metastasis of pancreatic cancer.",
         ["oncogenic-signaling"]),
        ("HGF, TGF-beta, a hypoxic microenvironment and stromal cells promote liver metastasis of pancreatic cancer.",
         ["cytokine-chemokine", "hypoxia", "oncogenic-signaling", "stroma-caf"]),
        ("HGF and a multifunctional cytokine promote liver metastasis of pancreatic cancer.",
         ["cytokine-chemokine", "oncogenic-signaling"]),
    ],
)  # fmt: skip
def test_a_mechanism_in_an_appositive_only_describes_the_one_before(
    nlp: Language, abstract: str, mechanisms: list[str]
) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms


def test_the_items_of_a_cargo_list_are_vesicle_cargo(nlp: Language) -> None:
    abstract = "Exosomal RNAs (e.g., microRNAs and lncRNAs) promote liver metastasis of pancreatic cancer."
    assert document(nlp, abstract)["mechanisms"] == ["extracellular-vesicles"]
    plain = "Tumour RNAs (e.g., microRNAs and lncRNAs) promote liver metastasis of pancreatic cancer."
    assert document(nlp, plain)["mechanisms"] == ["non-coding-rna"]


@pytest.mark.parametrize(
    ("abstract", "mechanisms"),
    [
        ("Integrins mediate adhesion to collagen, fibronectin (Fn) and laminin and promote liver metastasis of "
         "pancreatic cancer.", ["adhesion-migration"]),
        ("Laminin-1 adhesion of pancreatic cancer cells promotes their liver metastasis.", []),
        ("Pancreatic cancer cells cultured on type I collagen formed liver metastases in mice.", []),
        ("Collagen deposition promotes liver metastasis of pancreatic cancer.", ["ecm-remodeling"]),
        ("Fibronectin promotes liver metastasis of pancreatic cancer.", ["ecm-remodeling"]),
    ],
)  # fmt: skip
def test_a_matrix_protein_used_as_an_assay_substrate_is_no_remodelling(
    nlp: Language, abstract: str, mechanisms: list[str]
) -> None:
    assert document(nlp, abstract)["mechanisms"] == mechanisms
