"""spaCy-native results: ``doc.ents`` and ``doc.spans["pdac"]``, config-driven components, chaining."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
import spacy
from spacy import displacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pdacmine.miner.annotate import doc_to_record
from pdacmine.miner.nlp.ents import counted_mentions
from pdacmine.miner.nlp.mention import Mention, StringIds, mention_spans
from pdacmine.miner.nlp.pipeline import PDAC_COMPONENTS, build_pipeline
from pdacmine.miner.nlp.resources import rules_ref
from pdacmine.miner.nlp.rules import RULES_FILE

CLAIMS = (
    "Pancreatic cancer metastasis\nZEB1 drives liver metastasis of pancreatic cancer. "
    "Perineural invasion (PNI) was frequent. No lung metastases were seen."
)
OTHER_PRIMARY = "Breast cancer metastasis\nBreast cancer often spreads to the liver. Gemcitabine was given."
LABELS = {"ORGAN", "STAGE", "MECHANISM", "THERAPY"}


@Language.component("test_organ_reader")
def organ_reader(doc: Doc) -> Doc:
    """A user's component after pdacmine's: reads the organs from ``doc.ents``."""
    doc.user_data["organs"] = [ent.id_ for ent in doc.ents if ent.label_ == "ORGAN"]
    return doc


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


def test_counted_entities_are_in_doc_ents_without_overlaps(nlp: Language) -> None:
    doc = nlp(CLAIMS)
    record = doc_to_record(doc, "1")
    ents = list(doc.ents)
    assert {e.label_ for e in ents} == {"MECHANISM", "ORGAN"}
    assert all(a.end <= b.start for a, b in pairwise(ents))  # sorted, no overlap
    entities = {(e.start, e.end, e.label, e.key): e for e in record.entities}
    for ent in ents:
        counted = entities[(ent.start_char, ent.end_char, ent.label_, ent.id_)]
        assert (ent.kb_id_ or None, ent._.pdac_category) == (counted.concept_id, counted.category)
    # every counted entity is shown, or overlaps the longer/first reading that is
    for e in record.entities:
        assert any(ent.start_char < e.end and e.start < ent.end_char for ent in ents)
    assert {e.id_ for e in ents if e.label_ == "ORGAN"} == {"liver", "lung"}


def test_overlaps_are_resolved_as_filter_spans_does(nlp: Language) -> None:
    doc = nlp(CLAIMS)
    expected = filter_spans(mention_spans(doc, counted_mentions(doc)))
    assert len(expected) < len(counted_mentions(doc))  # the fixture has overlapping readings
    assert [(e.start, e.end, e.label_, e.id_) for e in doc.ents] == [
        (s.start, s.end, s.label_, s.id_) for s in expected
    ]


def test_the_span_group_keeps_every_reading_and_the_category(nlp: Language) -> None:
    doc = nlp(CLAIMS)
    group = doc.spans["pdac"]
    readings = [(s.text, s.label_) for s in group if s.text == "Perineural invasion"]
    assert sorted(readings) == [("Perineural invasion", "MECHANISM"), ("Perineural invasion", "STAGE")]
    assert [e.label_ for e in doc.ents if e.text == "Perineural invasion"] in (["MECHANISM"], ["STAGE"])
    zeb1 = next(s for s in group if s.id_ == "zeb1")
    mention = next(m for m in doc._.pdac_mentions if m.key == "zeb1")
    assert (zeb1.label_, zeb1.kb_id_, zeb1._.pdac_category) == ("MECHANISM", mention.concept_id, mention.category)
    assert zeb1._.pdac_category  # a mechanism has a category


def test_spans_built_from_string_ids_equal_spans_built_from_strings(nlp: Language) -> None:
    doc = nlp(CLAIMS)
    mentions = [*doc._.pdac_mentions, Mention(0, 1, 0, 1, "x", "ORGAN", "a-new-key")]  # no concept ID, unseen key

    def described(spans: list[Span]) -> list[tuple[int, int, str, str, str]]:
        return [(s.start, s.end, s.label_, s.id_, s.kb_id_) for s in spans]

    by_ids = mention_spans(doc, mentions, StringIds(nlp.vocab.strings))
    assert described(by_ids) == described(mention_spans(doc, mentions))
    assert described(by_ids)[-1] == (0, 1, "ORGAN", "a-new-key", "")


def test_an_abstract_about_another_primary_shows_no_organ_or_therapy_entity(nlp: Language) -> None:
    doc = nlp(OTHER_PRIMARY)
    assert doc._.pdac_primary == "other"
    assert {s.label_ for s in doc.spans["pdac"]} >= {"ORGAN", "THERAPY"}  # found by the matcher
    assert not [e for e in doc.ents if e.label_ in ("ORGAN", "THERAPY")]  # but not asserted


def test_displacy_renders_a_pdacmine_doc(nlp: Language) -> None:
    doc = nlp(CLAIMS)
    html = displacy.render(doc, style="ent", jupyter=False)
    assert "ZEB1" in html and "MECHANISM" in html and "ORGAN" in html
    spans_html = displacy.render(doc, style="span", options={"spans_key": "pdac"}, jupyter=False)
    assert "STAGE" in spans_html and "MECHANISM" in spans_html  # both readings of "Perineural invasion"


def test_components_added_after_pdacmine_read_its_entities() -> None:
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)

    nlp = build_pipeline()
    nlp.add_pipe("negex", config={"ent_types": sorted(LABELS)})
    nlp.add_pipe("test_organ_reader")
    assert nlp.pipe_names[-len(PDAC_COMPONENTS) - 2 :][: len(PDAC_COMPONENTS)] == list(PDAC_COMPONENTS)
    doc = nlp(CLAIMS)
    assert doc.user_data["organs"] == ["liver", "lung"]
    negex = {e.id_: e._.negex for e in doc.ents if e.label_ == "ORGAN"}
    ours = {m.key: m.negated for m in doc._.pdac_mentions if m.label == "ORGAN"}
    assert negex == ours == {"liver": False, "lung": True}


def test_the_rules_reach_a_component_through_its_config(tmp_path: Path) -> None:
    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw["cues"]["HEDGE"].append("zorblaxically")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")

    def hedges(rules: dict[str, object] | None) -> list[str]:
        nlp = spacy.blank("en")
        nlp.add_pipe("pdac_sentence_fixes")
        nlp.add_pipe("pdac_cues", config={} if rules is None else {"rules": rules})
        doc = nlp("ZEB1 zorblaxically drives metastasis.")
        return [doc[s:e].text for s, e in doc._.pdac_cues.get("HEDGE")]

    assert hedges(None) == []
    assert hedges(rules_ref(path)) == ["zorblaxically"]
    nlp = build_pipeline(rules_file=path, spans_key=None)
    assert nlp.config["components"]["pdac_tuples"]["rules"] == {"@misc": "pdacmine.rules.v1", "path": str(path)}
    assert nlp.config["components"]["pdac_entity_matcher"]["spans_key"] is None
    assert "pdac" not in nlp(CLAIMS).spans


@Language.component("test_model_ner")
def model_ner(doc: Doc) -> Doc:
    """Stands for a model's NER and the pdac components before ``pdac_ents``: one ENTITY, two mentions."""
    doc.ents = [Span(doc, 0, 1, label="ENTITY")]
    doc._.pdac_primary = "pancreatic"
    doc._.pdac_mentions = [
        Mention(0, 1, 0, 4, "ZEB1", "MECHANISM", "zeb1", "emt-plasticity"),
        Mention(2, 4, 12, 28, "liver metastasis", "ORGAN", "liver", site=True),
    ]
    return doc


@pytest.mark.parametrize(("overwrite", "expected"), [(True, ["MECHANISM", "ORGAN"]), (False, ["ENTITY", "ORGAN"])])
def test_earlier_entities_are_replaced_or_kept(overwrite: bool, expected: list[str]) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("test_model_ner")
    nlp.add_pipe("pdac_ents", config={"overwrite_ents": overwrite})
    doc = nlp("ZEB1 drives liver metastasis.")
    assert [e.label_ for e in doc.ents] == expected
    assert [e._.pdac_category for e in doc.ents] == (["emt-plasticity", None] if overwrite else [None, None])
