"""The spaCy components: sentences, vocabulary matching, abbreviations, organ sites, negation, hedging.

Texts are written for these tests. The vocabulary is the shipped one plus a small user file
(``TEST_VOCAB``), so the assertions hold whatever the breadth of the shipped gene lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from pdacmine.miner.nlp.mention import DOC_EXTENSIONS, Mention, pdac_value
from pdacmine.miner.nlp.pipeline import build_pipeline, tokenizer_pipeline

TEST_VOCAB = """key\tfacet\tcategory\tname\tconcept_id\txrefs\tsynonyms\tsymbols\tcomponents\tsource
zeb1\tMECHANISM\temt-plasticity\tZEB1\tHGNC:11642\t\tzinc finger e-box binding homeobox 1\tZEB1\t\ttest
cxcr4\tMECHANISM\tcytokine-chemokine\tCXCR4\tHGNC:2561\t\t\tCXCR4\t\ttest
smad4\tMECHANISM\tdriver-genetics\tSMAD4\tHGNC:6770\t\t\tSMAD4|DPC4\t\ttest
pcx\tMECHANISM\tmetabolic-reprogramming\tpyruvate carboxylase\tHGNC:8636\t\t\tPC\t\ttest
hnf9\tMECHANISM\tstroma-caf\tglimmer fibroblasts\t\t\tglimmer fibroblasts|glimmer fibroblast\t\t\ttest
ossa\tMECHANISM\toncogenic-signaling\tOSSA\t\t\t\tOS\t\ttest
liver\tORGAN\t\tliver\t\t\thepatic|livers\t\t\ttest
lung\tORGAN\t\tlung\t\t\tpulmonary|lungs\t\t\ttest
peritoneum\tORGAN\t\tperitoneum\t\t\tperitoneal|peritoneal carcinomatosis\t\t\ttest
colonization\tSTAGE\t\tcolonization\t\t\tcolonization|colonisation\t\t\ttest
local-invasion\tSTAGE\t\tlocal invasion\t\t\tinvasion\t\t\ttest
gemcitabine\tTHERAPY\tchemotherapy\tgemcitabine\t\t\tgemcitabine\t\t\ttest
nab-paclitaxel\tTHERAPY\tchemotherapy\tnab-paclitaxel\t\t\tnab-paclitaxel\t\t\ttest
paclitaxel\tTHERAPY\tchemotherapy\tpaclitaxel\t\t\tpaclitaxel\t\t\ttest
folfirinox\tTHERAPY\tchemotherapy\tFOLFIRINOX\t\t\tfolfirinox|mfolfirinox\t\t\ttest
gemcitabine-nab-paclitaxel\tTHERAPY\tchemotherapy\tgemcitabine plus nab-paclitaxel\t\t\t\
gemcitabine plus nab-paclitaxel|gemcitabine/nab-paclitaxel\t\tgemcitabine|nab-paclitaxel\ttest
chemotherapy\tTHERAPY\tchemotherapy\tchemotherapy\t\t\tchemotherapy\t\t\ttest
hepatic-arterial-infusion\tTHERAPY\tlocoregional\thepatic arterial infusion\t\t\thepatic arterial infusion\t\t\ttest
"""


def write_test_vocab(directory: Path) -> Path:
    path = directory / "test_vocab.tsv"
    path.write_text(TEST_VOCAB, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory) -> Language:
    user = write_test_vocab(tmp_path_factory.mktemp("vocab"))
    return build_pipeline(user_vocab=user)


def mentions(nlp: Language, abstract: str, title: str = "Pancreatic cancer metastasis") -> list[Mention]:
    return list(nlp(f"{title}\n{abstract}")._.pdac_mentions)


def keys(ms: list[Mention], label: str) -> list[str]:
    return [m.key for m in ms if m.label == label]


def sites(ms: list[Mention]) -> set[str]:
    return {m.key for m in ms if m.label == "ORGAN" and m.site}


# -- sentences ---------------------------------------------------------------------------------


def test_sentences_survive_abbreviations_and_split_at_line_breaks() -> None:
    nlp = tokenizer_pipeline()
    text = (
        "A title without a period\n"
        "BACKGROUND: Stroma matters, e.g. in mice (Fig. 2). Smith et al. showed this vs. controls, i.e. approx. "
        "3-fold. In no. 5 cases it failed.\nRESULTS: Done."
    )
    sentences = [s.text.strip() for s in nlp(text).sents]
    assert sentences == [
        "A title without a period",
        "BACKGROUND: Stroma matters, e.g. in mice (Fig. 2).",
        "Smith et al. showed this vs. controls, i.e. approx. 3-fold.",
        "In no. 5 cases it failed.",
        "RESULTS: Done.",
    ]


def test_token_texts_offsets_and_text_are_read_once_as_spacy_has_them() -> None:
    nlp = tokenizer_pipeline()
    text = "Ünïcode  title — ZEB1-driven\n\nRESULTS:\tTwo  spaces, a tab\u00a0and é accents.  \nEnd "
    doc = nlp(text)
    assert doc._.pdac_text == doc.text == text
    assert doc._.pdac_words == [t.text for t in doc]
    assert doc._.pdac_offsets == [t.idx for t in doc]
    empty = nlp("")
    assert (empty._.pdac_words, empty._.pdac_offsets, empty._.pdac_text) == ([], [], "")
    words, spaces = ["ZEB1", "-", "driven", "\n", "x"], [False, False, True, False, False]
    made = nlp.get_pipe("pdac_sentence_fixes")(Doc(nlp.vocab, words=words, spaces=spaces))
    assert made._.pdac_text == made.text == "ZEB1-driven \nx"  # a Doc another tokenizer made
    assert made._.pdac_offsets == [t.idx for t in made]


def test_hyphen_and_slash_compounds_expose_names(nlp: Language) -> None:
    ms = mentions(nlp, "ZEB1-driven invasion and CXCR4/SMAD4 were studied with gemcitabine/nab-paclitaxel.")
    assert keys(ms, "MECHANISM") == ["zeb1", "cxcr4", "smad4"]
    assert keys(ms, "THERAPY") == ["gemcitabine", "nab-paclitaxel"]


def test_a_genotype_after_a_symbol_is_its_own_token(nlp: Language) -> None:
    ms = mentions(nlp, "Liver metastases grew in Cxcr4\u2212/\u2212 mice, Smad4+/- mice and Zeb1-/- mice.")
    assert keys(ms, "MECHANISM") == ["cxcr4", "smad4", "zeb1"]
    assert [t.text for t in nlp("KPC mice; and/or; 5-FU")] == ["KPC", "mice", ";", "and/or", ";", "5", "-", "FU"]


# -- vocabulary matching -----------------------------------------------------------------------


def test_plural_british_and_mouse_forms_match(nlp: Language) -> None:
    ms = mentions(nlp, "Zeb1 promoted metastatic colonisation of the lungs and LIVERS.")
    assert keys(ms, "MECHANISM") == ["zeb1"]
    assert keys(ms, "STAGE") == ["colonization"]
    assert keys(ms, "ORGAN") == ["lung", "liver"]


def test_longest_span_wins_and_case_sensitive_symbols(nlp: Language) -> None:
    ms = mentions(nlp, "Patients received nab-paclitaxel; the smad4 word in lower case is no symbol, SMAD4 is.")
    assert keys(ms, "THERAPY") == ["nab-paclitaxel"]  # not also "paclitaxel"
    assert [m.text for m in ms if m.key == "smad4"] == ["SMAD4"]


def test_a_mechanism_inside_a_stage_is_dropped_the_same_span_keeps_both(nlp: Language) -> None:
    ms = mentions(nlp, "Lymph vessel invasion and perineural invasion were frequent.")
    assert [(m.label, m.key) for m in ms] == [
        ("STAGE", "intravasation"),
        ("MECHANISM", "perineural-invasion"),
        ("STAGE", "local-invasion"),
    ]


def test_ambiguous_symbol_needs_a_gene_word(nlp: Language) -> None:
    ms = mentions(nlp, "Median OS was 9 months. OS expression promoted liver metastasis.")
    assert [m.text for m in ms if m.key == "ossa"] == ["OS"]
    assert [m.sent for m in ms if m.key == "ossa"] == [2]


def test_regimen_written_as_drugs_yields_the_drugs_named_regimen_keeps_its_key(nlp: Language) -> None:
    ms = mentions(nlp, "Patients received gemcitabine plus nab-paclitaxel or mFOLFIRINOX for liver metastases.")
    assert keys(ms, "THERAPY") == ["gemcitabine", "nab-paclitaxel", "folfirinox"]


# -- abbreviations -----------------------------------------------------------------------------


def test_abbreviation_of_a_concept_resolves_even_when_not_in_the_vocabulary(nlp: Language) -> None:
    ms = mentions(nlp, "Glimmer fibroblasts (GLFs) surround the tumour. GLFs drive liver metastasis.")
    assert [(m.text, m.key, m.source) for m in ms if m.label == "MECHANISM"] == [
        ("Glimmer fibroblasts", "hnf9", "vocabulary"),
        ("GLFs", "hnf9", "abbreviation"),
        ("GLFs", "hnf9", "abbreviation"),
    ]


def test_short_form_defined_as_something_else_is_not_its_vocabulary_concept(nlp: Language) -> None:
    ms = mentions(nlp, "Unlike prostate cancer (PC), PC cells rarely reach the liver. PC expression was high.")
    assert "pcx" not in keys(ms, "MECHANISM")
    undefined = mentions(nlp, "PC expression promoted liver metastasis.")
    assert keys(undefined, "MECHANISM") == ["pcx"]


def test_abbreviation_takes_every_facet_of_its_long_form(nlp: Language) -> None:
    ms = mentions(nlp, "Perineural invasion (PNI) is frequent. PNI predicts recurrence.")
    last = [(m.label, m.key) for m in ms if m.text == "PNI" and m.sent == 2]
    assert sorted(last) == [("MECHANISM", "perineural-invasion"), ("STAGE", "local-invasion")]


def test_short_form_confirmed_by_a_long_form_of_its_category_keeps_its_concept(nlp: Language) -> None:
    ms = mentions(nlp, "The platelet-derived growth factor receptor b (PDGFRb) was induced. PDGFRb drives invasion.")
    assert [m.key for m in ms if m.text == "PDGFRb"] == ["pdgfrb", "pdgfrb"]


# -- organ sites -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("87% of patients had liver metastases.", {"liver"}),
        ("Tumour cells metastasized to the lungs.", {"lung"}),
        ("We saw seeding of the peritoneum and peritoneal carcinomatosis.", {"peritoneum"}),
        ("The cancer recurred in the liver after surgery.", {"liver"}),
        ("Metastases to the liver, lung and peritoneum were counted.", {"liver", "lung", "peritoneum"}),
        (
            "Relapse was seen mostly in the liver (51%), then lung (22%) and, rarely, peritoneum.",
            {"liver", "lung", "peritoneum"},
        ),
        ("Liver function tests and liver enzymes were normal.", set()),
        ("A second primary lung cancer was found.", set()),
        ("Normal lung tissue served as control.", set()),
        ("Lung metastases from breast cancer were excluded, unlike the PDAC liver metastases.", {"liver"}),
        ("The tumour showed invasion of the stomach and the left adrenal gland, and liver metastases.", {"liver"}),
        ("A mass extending into the duodenum was resected; no lung metastases were seen.", {"lung"}),
        ("Jaundice and bowel changes were secondary to biliary obstruction.", set()),
        (
            "Metastases were frequent. The commonest sites were the liver (40%) and peritoneum (20%).",
            {"liver", "peritoneum"},
        ),
        ("An adnexal mass secondary to pancreatic cancer was found.", {"ovary"}),
        ("Tumour cells metastasised to the lymph nodes; lymph node invasion was frequent.", {"lymph-node"}),
    ],
)
def test_organ_is_a_site_only_in_a_metastasis_context(nlp: Language, sentence: str, expected: set[str]) -> None:
    assert sites(mentions(nlp, sentence)) == expected


def test_no_pdac_site_when_the_abstract_is_about_another_primary(nlp: Language) -> None:
    doc = nlp(
        "Hepatectomy for colorectal liver metastases\n"
        "Colorectal cancer often spreads to the liver. Liver metastases from colorectal cancer were resected."
    )
    assert doc._.pdac_primary == "other"
    assert not any(m.site for m in doc._.pdac_mentions)
    pdac = nlp("Liver metastasis of pancreatic cancer\nPDAC spreads to the liver.")
    assert pdac._.pdac_primary == "pancreatic"


# -- negation and hedging ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, negated",
    [
        ("No lung metastases were detected.", True),
        ("Lung metastases were not observed.", True),
        ("Patients without liver metastases were enrolled.", True),
        ("There was neither liver nor lung metastasis.", True),
        ("ZEB1 did not change the rate of liver metastasis.", True),
        ("No change was seen in the primary tumour, but liver metastases increased.", False),
        ("Not only liver metastases but also lung metastases grew.", False),
        ("Patients with and without liver metastases were compared.", False),
        ("Liver metastases were frequent.", False),
    ],
)
def test_negation_is_scoped_to_its_clause(nlp: Language, sentence: str, negated: bool) -> None:
    organs = [m for m in mentions(nlp, sentence) if m.label == "ORGAN"]
    assert organs and organs[-1].negated is negated


@pytest.mark.parametrize(
    "sentence, hedged",
    [
        ("ZEB1 may promote liver metastasis.", True),
        ("These data suggest that ZEB1 drives liver metastasis.", True),
        ("ZEB1 is a potential driver of liver metastasis.", True),
        ("ZEB1 drives liver metastasis.", False),
    ],
)
def test_hedging(nlp: Language, sentence: str, hedged: bool) -> None:
    ms = mentions(nlp, sentence)
    assert {m.hedged for m in ms} == {hedged}


def test_background_therapy_is_flagged(nlp: Language) -> None:
    ms = mentions(
        nlp, "Pancreatic cancer responds poorly to chemotherapy. Patients with liver metastases received gemcitabine."
    )
    assert [(m.key, m.background) for m in ms if m.label == "THERAPY"] == [
        ("chemotherapy", True),
        ("gemcitabine", False),
    ]


def test_pdac_values_are_read_as_doc_underscore_has_them(nlp: Language) -> None:
    doc = nlp("Pancreatic cancer\nZEB1 drives liver metastasis (LM) of pancreatic cancer.")
    assert doc._.pdac_tuples and doc._.pdac_mentions  # the values below are not all None
    for name in DOC_EXTENSIONS:
        assert pdac_value(doc, name) is getattr(doc._, name), name
    assert pdac_value(nlp.make_doc("unprocessed"), "pdac_mentions") is None


def test_spans_mirror_the_mentions(nlp: Language) -> None:
    doc = nlp("Title\nZEB1 drives liver metastasis.")
    assert [(s.text, s.label_, s.id_) for s in doc.spans["pdac"]] == [
        ("ZEB1", "MECHANISM", "zeb1"),
        ("liver metastasis", "ORGAN", "liver"),
    ]


def test_an_installed_model_runs_first_and_its_sentences_are_used(tmp_path: Path) -> None:
    import spacy

    model = spacy.blank("en")
    model.add_pipe("sentencizer")
    model.to_disk(tmp_path / "model")
    nlp = build_pipeline(model=str(tmp_path / "model"))
    assert nlp.pipe_names[:2] == ["pdac_sentence_fixes", "sentencizer"]
    doc = nlp("Pancreatic cancer\nLiver metastases were frequent. They grew fast.")
    assert [doc[s].text for s in doc._.pdac_sent_starts] == [s[0].text for s in doc.sents]
    assert {m.key for m in doc._.pdac_mentions if m.site} == {"liver"}


def test_a_missing_model_is_a_clear_input_error() -> None:
    from pdacmine.errors import InputError

    with pytest.raises(InputError, match="not installed; the default pipeline needs none"):
        build_pipeline(model="en_core_sci_not_here")
