"""The typed evidence record: NLP -> ``annotate`` JSON, the database and ``evaluate``, one contract."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pdacmine.cli import cli
from pdacmine.db.evidence import save_extractions
from pdacmine.miner import document_sets as docsets
from pdacmine.miner.annotate import annotate_records
from pdacmine.miner.evidence import (
    AnnotatedDocument,
    ConceptRef,
    DocumentSummary,
    EntityRecord,
    EvidenceRecord,
    MemberSpan,
    evidence_key,
)
from pdacmine.models import Article, ArticleExtraction, Evidence

RECORDS = [
    {
        "pmid": "301",
        "title": "ZEB1 drives liver metastasis of pancreatic cancer",
        "abstract": "RESULTS: Knockdown of ZEB1 reduced lung metastases in KPC mice. "
        "Patients with liver metastases received gemcitabine. No peritoneal metastases were seen.",
    },
    {"pmid": "302", "title": "Smoking and the risk of pancreatic cancer", "abstract": "Smoking raises the risk."},
]

DOCUMENTED_KEYS = ["pmid", "text", "primary", "study_type", "entities", "tuples", "document"]
TUPLE_KEYS = ["sentence", "start", "end", "section", "mechanism", "stage", "organ", "therapy", "polarity",
              "negated", "hedged", "study_type", "confidence", "spans"]  # fmt: skip
SUMMARY_KEYS = ["organs", "stages", "mechanisms", "mechanism_keys", "therapies", "therapy_classes", "pairs"]


def test_records_round_trip_through_their_json_byte_for_byte() -> None:
    records = list(annotate_records(RECORDS))
    assert all(isinstance(r, AnnotatedDocument) for r in records)
    first = records[0]
    assert first.tuples and first.entities  # the fixture makes claims
    for record in records:
        obj = record.to_json()
        assert list(obj) == DOCUMENTED_KEYS
        assert list(obj["document"]) == SUMMARY_KEYS
        assert all(list(t) == TUPLE_KEYS for t in obj["tuples"])
        text = json.dumps(obj, ensure_ascii=False)
        back = AnnotatedDocument.from_json(json.loads(text))
        assert back == record
        assert json.dumps(back.to_json(), ensure_ascii=False) == text


def test_annotate_writes_the_records_json() -> None:
    stdin = "".join(json.dumps(r) + "\n" for r in RECORDS)
    result = CliRunner().invoke(cli, ["annotate", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    expected = [json.dumps(r.to_json(), ensure_ascii=False) for r in annotate_records(RECORDS)]
    assert result.stdout.splitlines() == expected


def _document() -> AnnotatedDocument:
    sentence = "ZEB1 drives liver metastasis."
    claim = EvidenceRecord(
        sentence=sentence,
        start=10,
        end=10 + len(sentence),
        section="RESULTS",
        mechanism=ConceptRef("zeb1", "emt-plasticity", "HGNC:11642"),
        stage=None,
        organ="liver",
        therapy=ConceptRef("gemcitabine", "chemotherapy", None),
        polarity="promotes",
        hedged=True,
        study_type="animal",
        confidence=0.75,
        spans=(MemberSpan(0, 4, "MECHANISM", "zeb1"), MemberSpan(12, 28, "ORGAN", "liver")),
    )
    entity = EntityRecord(10, 14, "ZEB1", "MECHANISM", "zeb1", "emt-plasticity", "HGNC:11642")
    summary = DocumentSummary(
        organs=("liver",), mechanisms=("emt-plasticity",), mechanism_organ=(("emt-plasticity", "liver"),)
    )
    return AnnotatedDocument("401", "Title\n" + sentence, "pancreatic", "animal", (entity,), (claim, claim), summary)


def test_save_extractions_stores_the_typed_record(engine: Engine) -> None:
    document = _document()
    with Session(engine) as session:
        article = Article(pmid="401", title="Title", abstract=document.tuples[0].sentence, source="file")
        session.add(article)
        session.flush()
        assert save_extractions(session, [(article.id, document)], "v-test") == 1  # the repeated claim is one row
        session.commit()
        row = session.scalars(select(Evidence)).one()
        state = session.scalars(select(ArticleExtraction)).one()
    claim = document.tuples[0]
    assert row.evidence_key == evidence_key("401", claim.sentence, "zeb1", None, "liver", "gemcitabine")
    assert (row.mechanism_key, row.mechanism_category, row.mechanism_concept_id) == (
        "zeb1",
        "emt-plasticity",
        "HGNC:11642",
    )
    assert (row.therapy_key, row.therapy_class, row.organ, row.stage) == ("gemcitabine", "chemotherapy", "liver", None)
    assert (row.polarity, row.hedged, row.negated, row.study_type, row.confidence) == (
        "promotes",
        True,
        False,
        "animal",
        0.75,
    )
    assert (row.section, row.start, row.end) == ("RESULTS", claim.start, claim.end)
    assert row.spans == [s.to_json() for s in claim.spans]
    assert state.n_entities == 1 and state.n_evidence == 1
    assert state.entities == {**document.document.to_json(), "primary": "pancreatic", "study_type": "animal"}


def test_evaluate_scores_a_typed_record_as_its_json() -> None:
    document = _document()
    typed = docsets.document_sets(document)
    assert typed == docsets.document_sets(document.to_json())
    assert typed["mechanism-organ"] == {("emt-plasticity", "liver")}
    assert typed["therapy-organ"] == {("gemcitabine", "liver")}
    assert typed["therapy_classes"] == {"chemotherapy"}


def test_the_database_layer_reads_the_record_without_loading_the_nlp() -> None:
    code = (
        "import sys, pdacmine.db.evidence, pdacmine.db.findings, pdacmine.db.exports, pdacmine.db.query, "
        "pdacmine.db.filters; "
        "sys.exit('spacy' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
