"""The naive keyword tagger: one regex per taxonomy key, pairs by sentence co-occurrence, no negation."""

from __future__ import annotations

from pdacmine.miner import document_sets as docsets
from pdacmine.miner.nlp.baseline import BaselineTagger, annotate_records, build_patterns, split_sentences
from pdacmine.miner.nlp.vocab import Concept, Vocabulary


def _vocab() -> Vocabulary:
    rows = [
        Concept("liver", "ORGAN", None, "liver", synonyms=("hepatic",)),
        Concept("lung", "ORGAN", None, "lung", synonyms=("pulmonary",)),
        Concept("colonization", "STAGE", None, "colonization", synonyms=("metastatic outgrowth",)),
        Concept("recurrence", "STAGE", None, "recurrence", synonyms=("relapse",)),
        Concept("granulin", "MECHANISM", "myeloid-immunosuppression", "granulin", symbols=("GRN",)),
        Concept("tam", "MECHANISM", "myeloid-immunosuppression", "tumor-associated macrophages", symbols=("TAMs",)),
        Concept("zeb1", "MECHANISM", "emt-plasticity", "ZEB1", symbols=("ZEB1",)),
        Concept("paclitaxel", "THERAPY", "chemotherapy", "paclitaxel"),
        Concept("nab-paclitaxel", "THERAPY", "chemotherapy", "nab-paclitaxel", synonyms=("abraxane",)),
        Concept("gemcitabine", "THERAPY", "chemotherapy", "gemcitabine"),
    ]
    return Vocabulary(concepts={(c.facet, c.key): c for c in rows}, stoplist=frozenset({"met"}))


TEXT = (
    "Macrophage granulin drives metastatic outgrowth in the liver. "
    "ZEB1 was not detected in pulmonary lesions. "
    "Patients with hepatic metastases received gemcitabine plus Abraxane."
)


def test_one_regex_per_key_with_mechanisms_grouped_by_category() -> None:
    patterns = build_patterns(_vocab())
    keys = sorted((p.facet, p.key) for p in patterns)
    assert ("MECHANISM", "myeloid-immunosuppression") in keys and ("MECHANISM", "granulin") not in keys
    assert len(keys) == 9  # 2 organs + 2 stages + 2 categories + 3 therapies
    myeloid = next(p for p in patterns if p.key == "myeloid-immunosuppression")
    assert myeloid.regex.search("rich in TAMs") and not myeloid.regex.search("rich in tams")  # symbols keep case
    assert myeloid.regex.search("Tumor-Associated Macrophages")  # names fold case


def test_entities_cover_every_mention_without_negation() -> None:
    out = BaselineTagger(_vocab()).annotate({"pmid": "9", "title": "", "abstract": TEXT})
    found = {(e["label"], e["key"]) for e in out["entities"]}
    assert ("ORGAN", "lung") in found  # "not detected in pulmonary lesions" is still tagged: no negation handling
    assert ("MECHANISM", "granulin") in found and ("MECHANISM", "zeb1") in found
    assert all(e["negated"] is False for e in out["entities"])
    therapy = {e["key"] for e in out["entities"] if e["label"] == "THERAPY"}
    assert therapy == {"gemcitabine", "nab-paclitaxel"}  # Abraxane -> nab-paclitaxel
    grn = next(e for e in out["entities"] if e["key"] == "granulin")
    assert out["text"][grn["start"] : grn["end"]] == "granulin" and grn["category"] == "myeloid-immunosuppression"


def test_longest_match_wins_within_a_facet() -> None:
    out = BaselineTagger(_vocab()).annotate({"title": "Nab-paclitaxel versus paclitaxel", "abstract": ""})
    assert [e["key"] for e in out["entities"]] == ["nab-paclitaxel", "paclitaxel"]


def test_pairs_come_from_sentence_co_occurrence_only() -> None:
    out = next(annotate_records([{"pmid": "9", "title": "", "abstract": TEXT}], vocab=_vocab()))
    sets = docsets.document_sets(out)
    assert sets["mechanism-organ"] == {("myeloid-immunosuppression", "liver"), ("emt-plasticity", "lung")}
    assert sets["mechanism-stage"] == {("myeloid-immunosuppression", "colonization")}
    assert sets["therapy-organ"] == {("gemcitabine", "liver"), ("nab-paclitaxel", "liver")}
    assert sets["mechanisms"] == {"myeloid-immunosuppression", "emt-plasticity"}
    first = next(t for t in out["tuples"] if t["mechanism"] and t["organ"] == "liver")
    assert first["sentence"].startswith("Macrophage granulin") and first["negated"] is False


def test_sentence_splitting_keeps_abbreviations_of_numbers_together() -> None:
    text = "Title line\nMedian OS was 8.5 months. Liver relapse followed. e.g. rare"
    spans = [text[a:b] for a, b in split_sentences(text)]
    assert spans == ["Title line", "Median OS was 8.5 months.", "Liver relapse followed. e.g. rare"]


def test_output_order_and_pmid_follow_the_input() -> None:
    records = [{"pmid": "2", "title": "lung", "abstract": ""}, {"pmid": "1", "title": "liver", "abstract": ""}]
    outs = list(annotate_records(records, vocab=_vocab()))
    assert [o["pmid"] for o in outs] == ["2", "1"]
    assert [o["entities"][0]["key"] for o in outs] == ["lung", "liver"]
