"""Therapies the text gives, tests or proposes: surface forms, background lines, generic terms for named drugs.

Texts are written for these tests; the pipeline uses the shipped vocabulary and rules.
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from pdacmine.miner.annotate import doc_to_record
from pdacmine.miner.nlp.pipeline import build_pipeline

TITLE = "Pancreatic cancer metastasis"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline(spans_key=None)


def therapies(nlp: Language, abstract: str, title: str = TITLE) -> list[str]:
    return doc_to_record(nlp(f"{title}\n{abstract}"), "1").to_json()["document"]["therapies"]  # type: ignore[no-any-return]


def test_suspended_hyphen_exposes_the_first_word(nlp: Language) -> None:
    abstract = (
        "We studied mice. In pancreatic cancer models, the dense stroma is a barrier to chemo- and immunotherapy drugs."
    )
    assert therapies(nlp, abstract) == ["chemotherapy", "immunotherapy"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # strong background cues: a generic modality in a statement of practice is no therapy of the study
        ("We studied mice. Surgical resection is the only curative option and chemotherapy is the standard of "
         "care for advanced disease, although drug resistance develops.", []),
        ("We studied mice. Patients with pancreatic cancer are traditionally treated with palliative chemotherapy.",
         []),
        ("We studied a cohort. As the standard of care, our patients received chemotherapy.", ["chemotherapy"]),
        # the first sentence of an unstructured abstract
        ("Pancreatic cancer responds poorly to chemotherapy.", []),
        ("We studied mice. Its liver metastases are recalcitrant to today's chemotherapy.", []),
        ("We studied mice. Metastatic pancreatic cancer is largely unresponsive to immunotherapy.", []),
        ("Targeting FAK renders checkpoint immunotherapy effective in pancreatic cancer mouse models.",
         ["immunotherapy"]),
        ("Resected pancreatic cancer patients often relapse in the liver.", ["resection"]),
        # an early-only cue: a prognosis statement at the start is background beside treatment words ...
        ("Pancreatic cancer has a poor prognosis even after curative resection. We studied mice.", []),
        ("Background: Survival remains dismal. Pancreatic cancer has a grim prognosis after chemotherapy.", []),
        # ... unless it reports a treated cohort, and later in the abstract it is no cue
        ("Patients who underwent resection had a poor prognosis.", ["resection"]),
        ("We studied a cohort. Cytology marks a poor prognosis; hence resection should not be performed.",
         ["resection"]),
    ],
)  # fmt: skip
def test_background_lines(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, abstract) == expected


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("Patients received gemcitabine plus nab-paclitaxel. Chemotherapy was well tolerated.",
         ["gemcitabine", "nab-paclitaxel"]),
        ("Patients received gemcitabine-based chemotherapy.", ["gemcitabine"]),
        ("Patients received gemcitabine and other chemotherapeutic agents.", ["chemotherapy", "gemcitabine"]),
        ("Patients received gemcitabine. Future trials need more potent chemotherapy.",
         ["chemotherapy", "gemcitabine"]),
        ("Patients received FOLFIRINOX. Radiotherapy followed.", ["folfirinox", "radiotherapy"]),
        ("Some patients received nivolumab. Others received immune checkpoint inhibitors.",
         ["immunotherapy", "nivolumab"]),
        ("Patients received nivolumab, an immune checkpoint inhibitor.", ["nivolumab"]),
        ("Patients received sotigalimab (a CD40 agonistic antibody) and chemotherapy. CD40 agonists were safe.",
         ["chemotherapy", "sotigalimab"]),
    ],
)  # fmt: skip
def test_generic_terms_for_named_drugs(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, "We studied patients with pancreatic cancer. " + abstract) == expected


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        ("We describe our patient with metastatic pancreatic cancer.", ["nivolumab"]),
        ("We studied patients with metastatic pancreatic cancer.", ["immunotherapy", "nivolumab"]),
    ],
)
def test_in_a_case_report_a_generic_term_means_the_named_drug(nlp: Language, opening: str, expected: list[str]) -> None:
    abstract = f"{opening} Nivolumab was started in 2019. The disease stayed stable on immunotherapy for two years."
    assert therapies(nlp, abstract) == expected


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("A lung nodule grew two years later; after lung surgery she stayed well.", ["metastasectomy"]),
        ("He underwent pneumonectomy for the solitary nodule.", ["metastasectomy"]),
        ("The oesophageal lesion was removed by esophagectomy.", ["metastasectomy"]),
    ],
)
def test_resection_of_another_organ_is_metastasectomy(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, f"We report a case of pancreatic cancer. {abstract}") == expected


@pytest.mark.parametrize(
    "abstract",
    [
        "The cerebellar metastasis was resected.",
        "MRI showed a solitary cerebellar metastasis, which was completely resected.",
        "She underwent resection of the brain metastasis.",
    ],
)
def test_resection_of_a_metastasis_is_metastasectomy(nlp: Language, abstract: str) -> None:
    title = "Brain metastasis of pancreatic cancer"
    record = doc_to_record(nlp(f"{title}\nA patient with pancreatic cancer was seen. {abstract}"), "1").to_json()
    assert record["document"]["therapies"] == ["metastasectomy"]
    assert record["document"]["pairs"]["therapy-organ"] == [["metastasectomy", "brain"]]


@pytest.mark.parametrize(
    "sentence",
    [
        "Few data exist on surgical resection of pancreatic oligometastases in selected patients.",
        "She successfully underwent reresection for a jejunal metastasis four years later.",
        "We report two successfully resected metachronous gastric and splenic metastases.",
    ],
)
def test_a_resection_whose_object_is_a_metastasis_is_metastasectomy(nlp: Language, sentence: str) -> None:
    """The grammar of ``context_rules.json`` -> ``grammar``: no organ needs to be named as the object."""
    abstract = f"Metastatic pancreatic ductal adenocarcinoma has a poor prognosis. {sentence}"
    assert therapies(nlp, abstract) == ["metastasectomy"]


def test_resection_of_the_primary_in_patients_with_metastases_stays_resection(nlp: Language) -> None:
    abstract = "Resection of the primary tumour in patients with liver metastases of pancreatic cancer is debated."
    assert therapies(nlp, abstract) == ["resection"]
    # a comma ends the object of the participle: the metastasis after it is another phrase
    listed = "Among resected pancreatic tumours, lung metastasis as the first recurrence was associated with low grade."
    assert therapies(nlp, listed) == ["resection"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # a procedure named only as where the studied tissue came from is no therapy
        ("We stained 120 surgically resected specimens of pancreatic cancer for the marker.", []),
        ("Resection specimens of pancreatic cancer were sequenced.", []),
        ("Tumour samples obtained via transurethral resection showed pancreatic adenocarcinoma.", []),
        ("Tissues collected at surgery from pancreatic cancer patients were cultured.", []),
        # a coordinated participle between the procedure and the specimen
        ("Resected and necropsied specimens of the mice were stained for the marker.", []),
        ("Resected or biopsied tissues of pancreatic cancer were sequenced.", []),
        # a procedure the cohort received stays a therapy
        ("Forty patients with pancreatic cancer underwent resection, and their specimens were stained.",
         ["resection"]),
    ],
)  # fmt: skip
def test_a_procedure_named_as_a_tissue_source_is_no_therapy(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, "We studied patients with pancreatic cancer. " + abstract) == expected


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # the abstract's operation is a metastasectomy and no resection of the primary is named
        ("We report two patients who underwent resection of isolated lung metastases from pancreatic cancer. "
         "Surgical resection was well tolerated and both were alive three years later.", ["metastasectomy"]),
        # a resection of the primary is named: the generic term keeps its key
        ("We report two patients who underwent resection of isolated lung metastases from pancreatic cancer. "
         "Both had undergone pancreaticoduodenectomy, and surgery was well tolerated.",
         ["metastasectomy", "resection"]),
        ("Patients underwent resection of the primary tumour and later resection of lung metastases.",
         ["metastasectomy", "resection"]),
        # no metastasectomy in the abstract: surgery is resection
        ("Both patients with pancreatic cancer underwent surgical resection.", ["resection"]),
    ],
)  # fmt: skip
def test_generic_surgery_is_the_abstracts_metastasectomy(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, abstract) == expected


def test_a_treatment_that_is_not_recommended_is_background(nlp: Language) -> None:
    abstract = (
        "We report two patients with lung metastases from pancreatic cancer. "
        "Peritoneal metastases are common, and radiotherapy is not recommended for them."
    )
    assert therapies(nlp, abstract) == []


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("After resection of lung metastases, patients had a long chemotherapy-free period.", ["metastasectomy"]),
        ("After resection of lung metastases, the chemotherapy free interval was long.", ["metastasectomy"]),
        ("After resection of lung metastases, patients received chemotherapy for free.",
         ["chemotherapy", "metastasectomy"]),
    ],
)  # fmt: skip
def test_a_therapy_free_period_names_no_therapy(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, "We studied patients with pancreatic cancer. " + abstract) == expected


@pytest.mark.parametrize(
    "drug",
    [
        "nab-paclitaxel",
        "nab paclitaxel",
        "nab\u2011paclitaxel",  # non-breaking hyphen
        "albumin\u2010bound paclitaxel",  # typographic hyphen
        "nanoparticle albumin-bound (nab)-paclitaxel",
        "nanoparticle albumin-bound (nab)\u2212paclitaxel",  # minus sign
        "Abraxane",
    ],
)
def test_a_drug_formulation_in_any_spelling_is_its_drug(nlp: Language, drug: str) -> None:
    abstract = f"We studied patients with metastatic pancreatic cancer. Ten patients received {drug} weekly."
    assert therapies(nlp, abstract) == ["nab-paclitaxel"]


def test_a_short_form_in_brackets_before_a_hyphen_is_its_own_token(nlp: Language) -> None:
    assert [t.text for t in nlp.tokenizer("(nab)-paclitaxel")] == ["(", "nab", ")", "-", "paclitaxel"]
    assert [t.text for t in nlp.tokenizer("(KRAS)")] == ["(", "KRAS", ")"]


def test_chemoembolization_is_hepatic_arterial_infusion(nlp: Language) -> None:
    """taxonomy.md has no TACE key: liver therapy through the hepatic artery is hepatic-arterial-infusion."""
    abstract = (
        "We studied patients with liver metastases of pancreatic cancer. "
        "Eight underwent transcatheter arterial chemoembolization and two had radioembolization."
    )
    assert therapies(nlp, abstract) == ["hepatic-arterial-infusion", "radioembolization"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # the participle names the resection of the metastases before it
        ("A patient had liver metastases of pancreatic cancer. All liver metastases were surgically removed.",
         ["metastasectomy"]),
        # "one" of the metastases of the sentence before
        ("Two years after pancreatectomy the patient developed two brain metastases. One was surgically resected.",
         ["metastasectomy", "resection"]),
        ("Two years after pancreatectomy the patient developed two brain metastases. He was resected again.",
         ["resection"]),
    ],
)  # fmt: skip
def test_a_resected_metastasis_named_before_its_participle_is_metastasectomy(
    nlp: Language, abstract: str, expected: list[str]
) -> None:
    assert therapies(nlp, abstract) == expected


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        # the title names metastases at one organ and no resection of the primary is named
        ("Pancreatic cancer metastasis to the spine", "Surgical treatment was performed in ten of 30 cases.",
         ["metastasectomy"]),
        ("Late cerebral metastasis of pancreatic cancer", "Imaging showed a frontal lesion. She underwent surgery.",
         ["metastasectomy"]),
        # the primary's resection is named: surgery keeps its key
        ("Pancreatic cancer metastasis to the spine", "All had undergone pancreaticoduodenectomy before surgery.",
         ["resection"]),
        # a title without a metastatic site
        ("Outcomes of pancreatic cancer surgery", "Surgical treatment was performed in ten of 30 cases.",
         ["resection"]),
    ],
)  # fmt: skip
def test_generic_surgery_in_an_abstract_titled_by_one_metastatic_site(
    nlp: Language, title: str, abstract: str, expected: list[str]
) -> None:
    assert therapies(nlp, abstract, title=title) == expected


def test_a_title_site_without_a_metastasis_word_makes_no_metastasectomy(nlp: Language) -> None:
    title = "Peritoneal cytology in the staging of pancreatic cancer"
    abstract = "Peritoneal washings were positive in ten patients. Thirty patients were resected."
    assert therapies(nlp, abstract, title=title) == ["resection"]


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        # a biology paper's resected cohort is of the primary
        ("Macrophages drive liver metastasis of pancreatic cancer",
         "ZEB1 promoted invasion in mice. In 50 patients who underwent surgery, ZEB1 was high."),
        # conversion surgery is resection of the primary
        ("Chemotherapy for pancreatic cancer with peritoneal metastasis",
         "After chemotherapy, eight patients underwent conversion surgery."),
    ],
)  # fmt: skip
def test_a_title_site_leaves_the_primarys_surgery_alone(nlp: Language, title: str, abstract: str) -> None:
    assert "resection" in therapies(nlp, abstract, title=title)
    assert "metastasectomy" not in therapies(nlp, abstract, title=title)


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # the drugs of an apposition that describes a drug are what it is made of or from
        ("We studied a cohort. Patients received gemcitabine with S-1, an oral fluorouracil (5-FU) prodrug "
         "tegafur combined with two modulators, for metastatic disease.", ["gemcitabine", "s-1"]),
        # named again outside the apposition, the drug is given
        ("We studied a cohort. Patients received capecitabine, an oral prodrug of fluorouracil, and later "
         "fluorouracil by infusion.", ["capecitabine", "fluorouracil"]),
        # a list of drugs is no description
        ("We studied a cohort. Patients received gemcitabine, nab-paclitaxel and cisplatin.",
         ["cisplatin", "gemcitabine", "nab-paclitaxel"]),
    ],
)  # fmt: skip
def test_a_drug_describing_another_is_no_therapy_of_its_own(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, abstract) == expected


@pytest.mark.parametrize(
    "abstract",
    [
        "We studied a cohort. In the patients treated surgically, high marker levels predicted early relapse.",
        "We studied a cohort. Of the surgically treated patients, 40 relapsed in the liver.",
        "We studied a cohort. Surgical management of the primary tumour was followed by relapse.",
    ],
)
def test_surgical_treatment_in_other_words_is_resection(nlp: Language, abstract: str) -> None:
    assert therapies(nlp, abstract) == ["resection"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # the deletion of a gene or cell type is no locoregional ablation
        ("In mice, epithelial STAT3 ablation attenuated the invasion of pancreatic cancer.", []),
        ("Genetic ablation of ZEB1 reduced liver metastasis of pancreatic cancer.", []),
        ("Ablation of ZEB1 reduced liver metastasis of pancreatic cancer.", []),
        ("Radiofrequency ablation of liver metastases of pancreatic cancer was performed.", ["ablation"]),
    ],
)
def test_genetic_ablation_is_no_therapy(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, abstract) == expected


def test_hipec_by_its_longer_names(nlp: Language) -> None:
    abstract = (
        "We studied 21 patients with pancreatic cancer. "
        "Hyperthermic intraoperative intraperitoneal chemotherapy (HIPEC) followed resection of the primary tumour."
    )
    assert therapies(nlp, abstract) == ["hipec", "resection"]


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        # a therapy the tumours did not respond to was given: no negation of the therapy
        ("We treated mice with pancreatic cancer. Although the tumours did not respond to gemcitabine, "
         "anti-CTLA4 immunotherapy prolonged survival.", ["gemcitabine", "immunotherapy"]),
        ("We studied pancreatic cancer. The liver metastases failed to respond to FOLFIRINOX.", ["folfirinox"]),
        # a therapy not given stays negated
        ("We treated patients with pancreatic cancer. The patients did not receive gemcitabine.", []),
    ],
)  # fmt: skip
def test_no_response_to_a_therapy_is_no_negation_of_it(nlp: Language, abstract: str, expected: list[str]) -> None:
    assert therapies(nlp, abstract) == expected
