"""``pdacmine annotate``: PubMed XML or JSONL in, one JSON object per article out, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdacmine.cli import cli
from pdacmine.miner.annotate import annotate_records

ENTITY_KEYS = {"start", "end", "text", "label", "key", "category", "concept_id", "negated", "hedged"}
TUPLE_KEYS = {"sentence", "start", "end", "section", "mechanism", "stage", "organ", "therapy", "polarity", "negated",
              "hedged", "study_type", "confidence", "spans"}  # fmt: skip

RECORDS = [
    {
        "pmid": "101",
        "title": "Cancer-associated fibroblasts drive liver metastasis of pancreatic cancer",
        "abstract": "RESULTS: Knockdown of ZEB1 reduced lung metastases in KPC mice. "
        "No peritoneal metastases were seen.",
    },
    {
        "pmid": "102",
        "title": "Treatment of metastatic pancreatic cancer",
        "abstract": "Patients with liver metastases received gemcitabine plus nab-paclitaxel or FOLFIRINOX.",
    },
]

PUBMED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<PubmedArticleSet>
  <PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
      <PMID Version="1">900001</PMID>
      <Article PubModel="Print">
        <Journal><Title>Invented Journal</Title></Journal>
        <ArticleTitle>ZEB1 and liver metastasis in pancreatic cancer</ArticleTitle>
        <Abstract>
          <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Metastasis kills.</AbstractText>
          <AbstractText Label="RESULTS" NlmCategory="RESULTS">ZEB1 drives liver metastasis in KPC mice.</AbstractText>
        </Abstract>
        <PublicationTypeList>
          <PublicationType UI="D016454">Review</PublicationType>
        </PublicationTypeList>
      </Article>
    </MedlineCitation>
  </PubmedArticle>
  <DeleteCitation><PMID Version="1">900002</PMID></DeleteCitation>
</PubmedArticleSet>
"""


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def check_schema(result: dict) -> None:
    assert {"pmid", "text", "entities", "tuples", "document", "primary", "study_type"} <= set(result)
    text = result["text"]
    for ent in result["entities"]:
        assert set(ent) == ENTITY_KEYS
        assert text[ent["start"] : ent["end"]] == ent["text"]
        assert ent["label"] in {"ORGAN", "STAGE", "MECHANISM", "THERAPY"}
        assert (ent["category"] is None) == (ent["label"] in {"ORGAN", "STAGE"})
    for t in result["tuples"]:
        assert set(t) == TUPLE_KEYS
        assert text[t["start"] : t["end"]] == t["sentence"]
        assert t["polarity"] in {"promotes", "suppresses", "associated"}
        assert 0.0 <= t["confidence"] <= 1.0
        assert t["mechanism"] is None or set(t["mechanism"]) == {"key", "category", "concept_id"}
        assert t["therapy"] is None or set(t["therapy"]) == {"key", "class", "concept_id"}


def test_jsonl_in_jsonl_out(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    result = CliRunner().invoke(cli, ["annotate", str(source)])
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert [r["pmid"] for r in out] == ["101", "102"]
    for r in out:
        check_schema(r)
    first, second = out
    assert first["text"] == RECORDS[0]["title"] + "\n" + RECORDS[0]["abstract"]
    organs = {(e["key"], e["negated"]) for e in first["entities"] if e["label"] == "ORGAN"}
    assert {("liver", False), ("lung", False), ("peritoneum", True)} <= organs
    assert {"gemcitabine", "nab-paclitaxel", "folfirinox"} <= set(second["document"]["therapies"])
    assert "annotated 2 article(s)" in result.stderr


def test_stdin_and_output_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    stdin = "\n".join(json.dumps(r) for r in RECORDS) + "\n"
    result = CliRunner().invoke(cli, ["annotate", "-", "-o", str(target)], input=stdin)
    assert result.exit_code == 0, result.output
    assert [r["pmid"] for r in lines(target.read_text(encoding="utf-8"))] == ["101", "102"]


def test_pubmed_xml_in(tmp_path: Path) -> None:
    source = tmp_path / "articles.xml"
    source.write_text(PUBMED_XML, encoding="utf-8")
    result = CliRunner().invoke(cli, ["annotate", str(source)])
    assert result.exit_code == 0, result.output
    [record] = lines(result.stdout)
    check_schema(record)
    assert record["pmid"] == "900001"
    assert record["study_type"] == "review"  # from the publication type, over the "KPC mice" cue
    assert {t["organ"] for t in record["tuples"]} == {"liver"}


def test_bad_json_line_names_the_line_and_writes_no_file(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(RECORDS[0]) + "\n{not json\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["annotate", str(source), "-o", str(target)])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "line 2" in errors[0] and "bad.jsonl" in errors[0]
    assert not target.exists()


def test_an_output_path_that_cannot_be_written_is_one_line_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(RECORDS[0]) + "\n", encoding="utf-8")
    target = tmp_path / "no-such-dir" / "out.jsonl"
    result = CliRunner().invoke(cli, ["annotate", str(source), "-o", str(target)])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "cannot write" in errors[0] and "out.jsonl" in errors[0]


def test_missing_file_and_missing_model_are_one_line_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["annotate", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 3 and "no such file" in missing.stderr
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(RECORDS[0]) + "\n", encoding="utf-8")
    model = CliRunner().invoke(cli, ["annotate", str(source), "--model", "en_core_sci_nonexistent"])
    assert model.exit_code == 3
    assert "not installed" in model.stderr and "needs none" in model.stderr


def test_workers_give_the_same_output_in_order() -> None:
    many = [dict(r, pmid=f"{r['pmid']}-{i}") for i in range(6) for r in RECORDS]
    one = list(annotate_records(many, batch_size=4))
    two = list(annotate_records(many, batch_size=4, workers=2))
    assert one == two
    assert [r.pmid for r in two] == [r["pmid"] for r in many]


def test_help_documents_the_format() -> None:
    result = CliRunner().invoke(cli, ["annotate", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and '"entities"' in result.output and '"tuples"' in result.output


GOOD_LINE = json.dumps(RECORDS[0]).encode() + b"\n"
BAD_INPUTS = {
    "latin-1": (GOOD_LINE + '{"pmid": "2", "title": "Métastases hépatiques"}\n'.encode("latin-1"), 2, "not UTF-8 text"),
    "utf-16": ('{"pmid": "2", "title": "t"}\n'.encode("utf-16"), 1, "the file is UTF-16"),
    "utf-16 without BOM": ('{"pmid": "2"}\n'.encode("utf-16-le"), 1, "not valid JSON"),
    "deep nesting": (b'{"pmid": "2", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n", 1, "nested too deeply"),
    "huge integer": (b'{"pmid": "2", "n": 1' + b"0" * 5000 + b"}\n", 1, "a JSON number too long to read"),
    "huge pmid": (b'{"pmid": 1' + b"0" * 30 + b"}\n", 1, '"pmid" is out of range'),
    "lone surrogate": (GOOD_LINE + b'{"pmid": "2", "title": "CD8\\ud800 cells"}\n', 2, "lone surrogate (U+D800)"),
    "types as a string": (b'{"pmid": "2", "publication_types": "Review"}\n', 1, '"publication_types" must be a list'),
    "types as a number": (b'{"pmid": "2", "publication_types": 5}\n', 1, '"publication_types" must be a list'),
    "title as a list": (b'{"pmid": "2", "title": ["a"]}\n', 1, '"title" must be a string, not a list'),
    "text over the limit": (
        b'{"pmid": "2", "title": "t", "abstract": "' + b"a" * 500_000 + b'"}\n',
        1,
        "more than the limit of 500,000",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_annotate_input_is_one_line_exit_3_and_writes_no_file(tmp_path: Path, case: str) -> None:
    data, line, message = BAD_INPUTS[case]
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    target = tmp_path / "out.jsonl"
    for args, stdin in (([str(source), "-o", str(target)], None), (["-"], data)):
        result = CliRunner().invoke(cli, ["annotate", *args], input=stdin)
        assert result.exit_code == 3, (case, result.stderr)
        [error] = result.stderr.strip().splitlines()
        assert error.startswith("pdacmine: error: ") and f", line {line}: " in error and message in error, error
        assert not target.exists()


def test_line_separators_inside_json_strings_stay_in_the_record(tmp_path: Path) -> None:
    odd = dict(RECORDS[1], abstract=RECORDS[1]["abstract"] + "\u2028Liver metastases\x0c\x1c\x85 were resected.")
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(odd, ensure_ascii=False).encode() + b"\n")
    result = CliRunner().invoke(cli, ["annotate", str(source)])
    assert result.exit_code == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.split("\n") if line]
    assert record["pmid"] == "102" and record["text"].endswith("\x85 were resected.")
