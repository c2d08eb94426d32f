"""Evidence tuples: which sentences make claims, polarity, adjacency, negation, study type, confidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spacy.language import Language

from pdacmine.miner.annotate import doc_to_record
from pdacmine.miner.nlp import claim_model
from pdacmine.miner.nlp.pipeline import build_pipeline
from pdacmine.miner.nlp.rules import default_rules
from pdacmine.miner.nlp.sections import section_at, section_starts
from pdacmine.miner.relations import EvidenceTuple
from tests.test_nlp_pipeline import TEST_VOCAB

EXTRA = """resection\tTHERAPY\tsurgery\tresection\t\t\tresection|pancreatectomy\t\t\ttest
bone\tORGAN\t\tbone\t\t\tskeletal|bones\t\t\ttest
bisphosphonate\tTHERAPY\tother\tbisphosphonate\t\t\tbisphosphonate|bisphosphonates\t\t\ttest
radiotherapy\tTHERAPY\tradiotherapy\tradiotherapy\t\t\tradiotherapy|radiosurgery\t\t\ttest
spleen\tORGAN\t\tspleen\t\t\tsplenic\t\t\ttest
intestine\tORGAN\t\tintestine\t\t\tbowel|intestinal\t\t\ttest
lymph-node\tORGAN\t\tlymph node\t\t\tlymph nodes|nodal\t\t\ttest
"""


@pytest.fixture(autouse=True)
def rules_only() -> Iterator[None]:
    """These tests pin the pairing rules; the learned claim model on top has tests of its own."""
    with claim_model.using(None):
        yield


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory) -> Language:
    path = tmp_path_factory.mktemp("vocab") / "vocab.tsv"
    path.write_text(TEST_VOCAB + EXTRA, encoding="utf-8")
    return build_pipeline(user_vocab=path)


def tuples(nlp: Language, abstract: str, title: str = "Pancreatic cancer metastasis") -> list[EvidenceTuple]:
    return list(nlp(f"{title}\n{abstract}")._.pdac_tuples)


def slots(ts: list[EvidenceTuple]) -> list[tuple[str | None, ...]]:
    return [t.slots() for t in ts]


@pytest.mark.parametrize(
    "sentence, polarity",
    [
        ("ZEB1 promotes liver metastasis.", "promotes"),
        ("ZEB1 inhibits liver metastasis.", "suppresses"),
        ("Knockdown of ZEB1 reduced liver metastasis.", "promotes"),
        ("CXCR4 inhibition attenuated liver metastasis.", "promotes"),
        ("Depletion of CXCR4 increased liver metastasis.", "suppresses"),
        ("High ZEB1 expression was associated with liver metastasis.", "associated"),
    ],
)
def test_polarity(nlp: Language, sentence: str, polarity: str) -> None:
    [t] = tuples(nlp, sentence)
    assert t.organ is not None and t.organ.key == "liver"
    assert t.polarity == polarity


def test_mechanism_with_stage_and_organ_and_general_metastasis(nlp: Language) -> None:
    assert slots(tuples(nlp, "ZEB1 drives the colonization of the liver by metastatic cells.")) == [
        ("zeb1", "colonization", "liver", None)
    ]
    assert slots(tuples(nlp, "ZEB1 drives metastasis.")) == [("zeb1", None, None, None)]
    assert tuples(nlp, "ZEB1 is expressed in the epithelium.") == []


def test_members_of_one_list_share_the_claim(nlp: Language) -> None:
    text = "Several factors act in the colonization of the liver, among which are ZEB1, SMAD4 and CXCR4."
    assert {t.slots()[0] for t in tuples(nlp, text)} == {"zeb1", "smad4", "cxcr4"}
    apart = "Several factors act in the colonization of the liver, among which is ZEB1; in other work SMAD4 was lost."
    assert {t.slots()[0] for t in tuples(nlp, apart)} == {"zeb1"}


def test_migration_listed_with_invasion_is_an_outcome_not_a_driver(nlp: Language) -> None:
    listed = tuples(nlp, "Loss of SMAD4 enhanced cell migration and invasion in vitro and increased liver metastases.")
    assert {t.slots()[0] for t in listed} == {"smad4-loss"}
    driver = tuples(nlp, "Cell motility drives liver metastasis.")
    assert [t.slots()[:3] for t in driver] == [("cell-migration", None, "liver")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # nominal forms of the claim: "the role of X in Y", "the effect of X on Y"
        ("We review the role of ZEB1 in tumorigenesis, metastasis and chemoresistance of pancreatic cancer.",
         ("zeb1", None, None)),
        ("We studied the effect of ZEB1 on liver metastasis of pancreatic cancer in mice.", ("zeb1", None, "liver")),
    ],
)  # fmt: skip
def test_a_nominal_relation_head_governs_both_members(nlp: Language, text: str, expected: tuple[str, ...]) -> None:
    assert [t.slots()[:3] for t in tuples(nlp, text)] == [expected]


def test_a_linking_verb_governs_both_members(nlp: Language) -> None:
    linked = "Recent studies link ZEB1 expressed by a small subset of tumour cells at the margin to liver metastasis."
    assert [t.slots()[:3] for t in tuples(nlp, linked)] == [("zeb1", None, "liver")]
    unlinked = "Recent studies map ZEB1 expressed by a small subset of tumour cells at the margin to liver metastasis."
    assert tuples(nlp, unlinked) == []


def test_adjacent_sentence_continues_the_claim(nlp: Language) -> None:
    text = "Liver metastases were frequent in these mice. These metastases were driven by ZEB1."
    [t] = tuples(nlp, text)
    assert t.slots() == ("zeb1", None, "liver", None)
    assert t.adjacent and t.sentence == text
    same = tuples(nlp, "ZEB1 drove liver metastases in these mice.")[0]
    assert t.confidence < same.confidence


def test_no_adjacency_without_a_continuation_word(nlp: Language) -> None:
    assert tuples(nlp, "Liver metastases were frequent in these mice. Separately, ZEB1 was measured.") == []


def test_therapy_organ_tuple_and_resection_followed_by_recurrence(nlp: Language) -> None:
    [t] = tuples(nlp, "Hepatic arterial infusion was given for liver metastases.")
    assert t.slots() == (None, None, "liver", "hepatic-arterial-infusion")
    assert t.kind == "therapy-organ"
    assert [s for s in slots(tuples(nlp, "After resection, the cancer recurred in the liver.")) if s[3]] == []


def test_regimen_drugs_fill_the_therapy_slot(nlp: Language) -> None:
    ts = tuples(nlp, "Patients with liver metastases received gemcitabine plus nab-paclitaxel.")
    assert sorted(t.therapy.key for t in ts if t.therapy) == ["gemcitabine", "nab-paclitaxel"]


def test_background_therapy_makes_no_tuple(nlp: Language) -> None:
    assert tuples(nlp, "Despite chemotherapy, liver metastases remain the main cause of death.") == []


def test_negated_and_hedged_tuples(nlp: Language) -> None:
    [neg] = tuples(nlp, "ZEB1 did not promote liver metastasis.")
    assert neg.negated and not neg.hedged
    [hedge] = tuples(nlp, "ZEB1 may promote liver metastasis.")
    assert hedge.hedged and not hedge.negated
    [plain] = tuples(nlp, "ZEB1 promotes liver metastasis.")
    assert hedge.confidence < plain.confidence and neg.confidence < plain.confidence
    assert all(0.0 <= t.confidence <= 1.0 for t in (neg, hedge, plain))


def test_no_tuples_for_another_primary_cancer_or_without_the_pancreas(nlp: Language) -> None:
    assert tuples(nlp, "ZEB1 drives liver metastasis of colorectal cancer.", title="Colorectal cancer study") == []
    assert tuples(nlp, "ZEB1 drives liver metastasis.", title="A study of tumours") == []


@pytest.mark.parametrize(
    "abstract, publication_types, expected",
    [
        ("ZEB1 promoted liver metastasis in KPC mice.", None, "animal"),
        ("ZEB1 promoted invasion of PANC-1 cells in vitro.", None, "in-vitro"),
        ("In patients, ZEB1 expression correlated with liver metastasis.", None, "clinical"),
        ("ZEB1 staining of resected specimens correlated with liver metastasis.", None, "human-tissue"),
        ("ZEB1 promoted liver metastasis in KPC mice.", [{"ui": "D016454", "name": "Review"}], "review"),
        ("In this review we discuss how ZEB1 drives liver metastasis.", None, "review"),
        ("Patients were enrolled. ZEB1 drives liver metastasis.", None, "clinical"),
        ("ZEB1 drives liver metastasis.", [{"name": "Randomized Controlled Trial"}], "clinical"),
        ("ZEB1 drives liver metastasis.", None, "other"),
    ],
)
def test_study_type(nlp: Language, abstract: str, publication_types: list | None, expected: str) -> None:
    record = doc_to_record(nlp(f"Pancreatic cancer\n{abstract}"), "1", publication_types).to_json()
    assert [t["study_type"] for t in record["tuples"]] == [expected]


def test_sections_from_inline_and_own_line_labels() -> None:
    rules = default_rules()
    inline = "Title\nBACKGROUND: Some text.\nRESULTS: More text.\nCONCLUSIONS: End."
    sections = section_starts(inline, rules)
    assert section_at(sections, inline.index("More")) == "RESULTS"
    assert section_at(sections, 2) == "TITLE"
    own_line = "Title\nPurpose\nWe asked.\nMethods\nWe did.\nResults\nWe found."
    sections = section_starts(own_line, rules)
    assert section_at(sections, own_line.index("We did")) == "METHODS"
    assert section_at(sections, own_line.index("We asked")) == "OBJECTIVE"
    plain = "Title\nAn unstructured abstract: with a colon. Its second sentence: another colon."
    assert section_at(section_starts(plain, rules), plain.index("with")) is None
    assert section_at(section_starts(plain, rules), plain.index("another")) is None
    one_paragraph = "Title\nBackground: Why. Methods: We resected 20 tumours. Results: Done."
    sections = section_starts(one_paragraph, rules)
    assert [section_at(sections, one_paragraph.index(w)) for w in ("Why", "We", "Done")] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
    ]


def test_tuple_record_offsets_and_spans(nlp: Language) -> None:
    record = doc_to_record(
        nlp("Pancreatic cancer\nBackground: x.\nResults: ZEB1 promotes liver metastasis."), "7"
    ).to_json()
    [t] = record["tuples"]
    assert record["text"][t["start"] : t["end"]] == t["sentence"] == "ZEB1 promotes liver metastasis."
    assert t["section"] == "RESULTS"
    assert [(t["sentence"][s["start"] : s["end"]], s["label"]) for s in t["spans"]] == [
        ("ZEB1", "MECHANISM"),
        ("liver metastasis", "ORGAN"),
    ]
    assert record["document"]["pairs"]["mechanism-organ"] == [["emt-plasticity", "liver"]]


def test_rules_file_is_valid(tmp_path: Path) -> None:
    from pdacmine.errors import InputError
    from pdacmine.miner.nlp.rules import load_rules

    bad = tmp_path / "rules.json"
    bad.write_text('{"cues": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="rules"):
        load_rules(bad)


def test_these_lesions_takes_the_sites_of_the_sentence_before(nlp: Language) -> None:
    abstract = (
        "Liver metastases of pancreatic cancer carry a poor prognosis. "
        "We treated these lesions with gemcitabine, and some patients underwent resection."
    )
    got = slots(tuples(nlp, abstract))
    assert (None, None, "liver", "gemcitabine") in got
    # resection of "these lesions" is resection of the liver metastases: metastasectomy, paired with the liver
    assert (None, None, "liver", "metastasectomy") in got
    assert all(s[3] != "resection" for s in got)


def test_a_therapy_sentence_without_an_anaphor_does_not_borrow_sites(nlp: Language) -> None:
    abstract = (
        "Liver metastases of pancreatic cancer carry a poor prognosis. "
        "Patients were treated with gemcitabine in a second centre."
    )
    assert all(s[2] is None for s in slots(tuples(nlp, abstract)))


def test_evidence_sentence_leaves_out_the_section_label(nlp: Language) -> None:
    text_abstract = "BACKGROUND: PDAC spreads early.\nCONCLUSIONS: ZEB1 drives liver metastasis of pancreatic cancer."
    ts = tuples(nlp, text_abstract)
    assert ts, "expected a ZEB1-liver tuple"
    for t in ts:
        assert t.sentence.startswith("ZEB1 drives"), t.sentence
        assert t.section == "CONCLUSIONS"


def test_a_therapy_directed_at_a_site_keeps_it_from_therapies_only_combined_with_it(nlp: Language) -> None:
    got = slots(tuples(nlp, "Resection of liver metastases combined with chemotherapy prolonged survival."))
    assert (None, None, "liver", "metastasectomy") in got
    assert all(s[3] != "chemotherapy" for s in got)
    # list peers of the directed therapy share its site; with no directed therapy every therapy pairs
    got = slots(tuples(nlp, "Gemcitabine and radiotherapy for liver metastases prolonged survival."))
    assert {s[3] for s in got if s[2] == "liver"} == {"gemcitabine", "radiotherapy"}
    got = slots(tuples(nlp, "Patients with liver metastases received gemcitabine and radiotherapy."))
    assert {s[3] for s in got if s[2] == "liver"} == {"gemcitabine", "radiotherapy"}


def test_a_site_directed_therapy_pairs_with_the_abstracts_site(nlp: Language) -> None:
    abstract = (
        "We reviewed patients with skeletal metastases of pancreatic cancer. "
        "Pain was frequent. Most patients received bisphosphonates."
    )
    ts = [t for t in tuples(nlp, abstract) if t.therapy is not None]
    assert [t.slots() for t in ts] == [(None, None, "bone", "bisphosphonate")]
    [t] = ts
    assert t.sentence == "Most patients received bisphosphonates."
    record = doc_to_record(nlp("Pancreatic cancer metastasis\n" + abstract), "9").to_json()
    [rec] = [r for r in record["tuples"] if r["therapy"]]
    # the organ's words lie in another sentence: the tuple's spans hold only what its sentence shows
    assert [s["label"] for s in rec["spans"]] == ["THERAPY"]
    # without bone among the abstract's sites, or with another site in the sentence, no bone pair
    no_bone = "We reviewed patients with liver metastases of pancreatic cancer. Most patients received bisphosphonates."
    assert all(s[2] != "bone" for s in slots(tuples(nlp, no_bone)))
    named = "Patients had skeletal metastases. Bisphosphonates reduced liver metastases in mice."
    assert (None, None, "bone", "bisphosphonate") not in slots(tuples(nlp, named))


def test_treating_a_site_in_the_background_section_is_not_background(nlp: Language) -> None:
    abstract = (
        "BACKGROUND: Brain metastases of pancreatic cancer are rare. "
        "Our approach to treating these lesions relies on radiosurgery."
    )
    assert (None, None, "brain", "radiotherapy") in slots(tuples(nlp, abstract))


def organ_sites(nlp: Language, abstract: str, title: str = "Pancreatic cancer metastasis") -> set[str]:
    doc = nlp(f"{title}\n{abstract}")
    return {m.key for m in doc._.pdac_mentions if m.label == "ORGAN" and m.site}


def test_a_contrast_separates_a_therapy_from_an_organ(nlp: Language) -> None:
    got = slots(tuples(nlp, "Gemcitabine reduced liver metastases, whereas peritoneal metastases were unchanged."))
    assert (None, None, "liver", "gemcitabine") in got
    assert (None, None, "peritoneum", "gemcitabine") not in got


def test_radiotherapy_directed_at_a_site_is_the_only_therapy_for_it(nlp: Language) -> None:
    abstract = (
        "Immunotherapy fails in pancreatic cancer. "
        "Radiotherapy directed at liver metastases or gemcitabine might restore immunity."
    )
    assert [s for s in slots(tuples(nlp, abstract)) if s[2] == "liver"] == [(None, None, "liver", "radiotherapy")]


def test_peritoneal_and_nodal_disease_are_sites_but_liver_disease_is_not(nlp: Language) -> None:
    abstract = "Metastatic pancreatic cancer was studied. Most patients had peritoneal or nodal disease."
    assert organ_sites(nlp, abstract) == {"peritoneum", "lymph-node"}
    assert organ_sites(nlp, "Metastatic pancreatic cancer was studied. Some patients had liver disease.") == set()
    # without any talk of metastasis the words mean nothing
    quiet = "Patients with pancreatic cancer and peritoneal disease were studied."
    assert organ_sites(nlp, quiet, title="Pancreatic cancer care") == set()


def test_the_organs_where_a_recurrence_happened_are_sites(nlp: Language) -> None:
    abstract = (
        "Recurrence developed in 25 of the 29 resected patients, most frequently in the liver (n = 14), "
        "followed by the peritoneum (n = 6) and the lung (n = 5)."
    )
    assert organ_sites(nlp, abstract) == {"liver", "peritoneum", "lung"}
    assert organ_sites(nlp, "Recurrence was rare; gemcitabine was given in the liver ward.") == set()


def test_injection_routes_and_complications_are_not_sites(nlp: Language) -> None:
    abstract = (
        "Tumour cells injected into the spleen formed liver metastases. Peritoneal metastases caused bowel obstruction."
    )
    assert organ_sites(nlp, abstract) == {"liver", "peritoneum"}


def therapy_sites(nlp: Language, abstract: str) -> set[tuple[str | None, str | None]]:
    return {(s[3], s[2]) for s in slots(tuples(nlp, abstract)) if s[0] is None and s[3] is not None}


@pytest.mark.parametrize(
    "abstract, pairs",
    [
        # the treatment step of a narrative is given for the one site reported just before
        (
            "A 61-year-old woman was diagnosed with pancreatic cancer and multiple hepatic metastases. "
            "She then received gemcitabine for eight months.",
            {("gemcitabine", "liver")},
        ),
        (
            "Two years later, a lung recurrence occurred. The patient underwent chemotherapy.",
            {("chemotherapy", "lung")},
        ),
        # a general statement about the site is no finding in the patient
        ("Liver metastases carry a poor prognosis. The patients received gemcitabine.", set()),
        # a systemic treatment of several sites is given for none of them
        ("CT revealed hepatic and pulmonary metastases. She received gemcitabine.", set()),
        # an organ without a metastasis word is no reported site
        ("Imaging revealed uptake in the liver. She received gemcitabine.", set()),
        # a treatment after an operation is not given for the site found before it
        ("Hepatic metastases were found at laparotomy. Gemcitabine was given after the operation.", set()),
        ("Hepatic metastases were found at laparotomy. She received adjuvant gemcitabine.", set()),
        ("Hepatic metastases were detected. She received gemcitabine after a right hemicolectomy.", set()),
        # only the sentence right after the finding
        ("Hepatic metastases were detected. Her pain improved. She received gemcitabine.", set()),
    ],
)
def test_a_narratives_treatment_is_given_for_the_site_reported_before(
    nlp: Language, abstract: str, pairs: set[tuple[str, str]]
) -> None:
    assert therapy_sites(nlp, abstract) == pairs


@pytest.mark.parametrize(
    "abstract, pairs",
    [
        ("Peritoneal recurrence developed after adjuvant gemcitabine.", set()),
        ("Gemcitabine was given for peritoneal recurrence.", {("gemcitabine", "peritoneum")}),
        ("After gemcitabine, the liver metastases regressed.", {("gemcitabine", "liver")}),
    ],
)
def test_a_site_that_recurred_after_a_therapy_is_not_its_target(
    nlp: Language, abstract: str, pairs: set[tuple[str, str]]
) -> None:
    assert therapy_sites(nlp, abstract) == pairs


def test_combination_therapy_stands_for_the_therapies_the_abstract_studies(nlp: Language) -> None:
    title = "Gemcitabine with a novel vector in an orthotopic model of pancreatic cancer"
    abstract = "Mice were implanted orthotopically. Combination therapy suppressed liver metastases."
    got = {(s[3], s[2]) for s in slots(tuples(nlp, abstract, title=title)) if s[0] is None}
    assert ("gemcitabine", "liver") in got
    # a sentence that names its own therapy keeps it
    abstract = "Mice were implanted orthotopically. Combination therapy with paclitaxel suppressed liver metastases."
    got = {(s[3], s[2]) for s in slots(tuples(nlp, abstract, title=title)) if s[0] is None}
    assert got == {("paclitaxel", "liver")}


def test_the_cross_sentence_rule_that_made_a_tuple_is_a_feature_of_its_candidates(nlp: Language) -> None:
    abstract = "Multiple hepatic metastases were diagnosed. She then received gemcitabine."
    with claim_model.recording() as recorded:
        ts = tuples(nlp, abstract)
    assert [t.basis for t in ts if t.therapy is not None] == ["narrative"]
    features = [f for doc in recorded for c in doc if c.kind == "therapy-organ" for f in c.features]
    assert "basis=narrative" in features
    title = "Gemcitabine with a novel vector in an orthotopic model of pancreatic cancer"
    ts = tuples(nlp, "Mice were implanted orthotopically. Combination therapy suppressed liver metastases.", title)
    assert [t.basis for t in ts if t.therapy is not None] == ["anaphor"]


def test_a_treatment_sentence_about_the_patients_is_a_feature_of_its_candidates(nlp: Language) -> None:
    abstract = (
        "Liver metastases were resected in 12 patients. These patients received gemcitabine for liver metastases."
    )
    with claim_model.recording() as recorded:
        tuples(nlp, abstract)
    features = [f for doc in recorded for c in doc if c.kind == "therapy-organ" for f in c.features]
    assert "sent:PATIENT_ANAPHOR" in features


def test_a_knockout_genotype_is_a_loss_of_the_gene(nlp: Language) -> None:
    got = tuples(nlp, "Liver metastasis of pancreatic cancer was reduced in Zeb1-/- mice.")
    assert [(t.slots()[0], t.slots()[2], t.polarity) for t in got] == [("zeb1", "liver", "promotes")]
