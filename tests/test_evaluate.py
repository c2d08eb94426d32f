"""Document-level scoring: document sets from annotate output, P/R/F1, gold validation, matching, the CLI."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pdacmine.cli import cli
from pdacmine.errors import InputError, ParseError
from pdacmine.miner import document_sets as docsets
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
from pdacmine.miner.nlp.vocab import Concept, Vocabulary


def _gold(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "pmid": "",
        "doi": "",
        "title_prefix": "",
        "organs": [],
        "stages": [],
        "mechanisms": [],
        "therapies": [],
        "therapy_classes": [],
        "pairs": {"mechanism-organ": [], "mechanism-stage": [], "therapy-organ": []},
    }
    base.update(fields)
    return base


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _entity(label: str, key: str, category: str | None = None, negated: bool = False) -> dict[str, Any]:
    return {"start": 0, "end": 1, "text": key, "label": label, "key": key, "category": category, "negated": negated}


def _tuple(mechanism: str | None = None, organ: str | None = None, stage: str | None = None, **kw: Any) -> dict:
    therapy = kw.get("therapy")
    return {
        "sentence": "s",
        "mechanism": {"key": f"{mechanism}-concept", "category": mechanism, "concept_id": None} if mechanism else None,
        "organ": organ,
        "stage": stage,
        "therapy": {"key": therapy, "class": kw.get("therapy_class"), "concept_id": None} if therapy else None,
        "negated": kw.get("negated", False),
        "hedged": kw.get("hedged", False),
    }


REGIMENS = Vocabulary(
    concepts={
        ("THERAPY", k): Concept(k, "THERAPY", cls, name, components=comp)
        for k, cls, name, comp in [
            ("gemcitabine", "chemotherapy", "gemcitabine", ()),
            ("nab-paclitaxel", "chemotherapy", "nab-paclitaxel", ()),
            ("gemcitabine-nab-paclitaxel", "chemotherapy", "gemcitabine plus nab-paclitaxel",
             ("gemcitabine", "nab-paclitaxel")),
            ("folfirinox", "chemotherapy", "FOLFIRINOX", ("fluorouracil", "leucovorin", "irinotecan", "oxaliplatin")),
        ]
    }
)  # fmt: skip


# --------------------------------------------------------------------------- document sets


def test_negated_entities_and_tuples_are_left_out() -> None:
    out = {
        "entities": [_entity("ORGAN", "liver"), _entity("ORGAN", "lung", negated=True)],
        "tuples": [
            _tuple("myeloid-immunosuppression", organ="liver", stage="colonization"),
            _tuple("hypoxia", organ="bone", negated=True),
        ],
    }
    sets = docsets.document_sets(out)
    assert sets["organs"] == {"liver"}
    assert sets["stages"] == {"colonization"}
    assert sets["mechanisms"] == {"myeloid-immunosuppression"}
    assert sets["mechanism-organ"] == {("myeloid-immunosuppression", "liver")}
    assert sets["mechanism-stage"] == {("myeloid-immunosuppression", "colonization")}


def test_mechanisms_come_from_tuples_only_and_hedged_claims_count() -> None:
    out = {
        "entities": [_entity("MECHANISM", "zeb1", "emt-plasticity"), _entity("STAGE", "local-invasion")],
        "tuples": [_tuple("stemness", stage="dormancy", hedged=True)],
    }
    sets = docsets.document_sets(out)
    assert sets["mechanisms"] == {"stemness"}
    assert sets["stages"] == {"local-invasion", "dormancy"}


def test_therapies_classes_and_therapy_organ_pairs() -> None:
    out = {
        "entities": [_entity("THERAPY", "olaparib", "targeted"), _entity("THERAPY", "losartan", "x", negated=True)],
        "tuples": [_tuple(organ="liver", therapy="hepatic-arterial-infusion", therapy_class="locoregional")],
    }
    sets = docsets.document_sets(out)
    assert sets["therapies"] == {"olaparib", "hepatic-arterial-infusion"}
    assert sets["therapy_classes"] == {"targeted", "locoregional"}
    assert sets["therapy-organ"] == {("hepatic-arterial-infusion", "liver")}
    assert sets["organs"] == {"liver"}


def test_combination_spelled_as_drugs_counts_as_its_drugs_but_named_regimen_stays() -> None:
    out = {
        "entities": [
            _entity("THERAPY", "gemcitabine-nab-paclitaxel", "chemotherapy"),
            _entity("THERAPY", "folfirinox", "chemotherapy"),
        ],
        "tuples": [_tuple(organ="liver", therapy="gemcitabine-nab-paclitaxel", therapy_class="chemotherapy")],
    }
    sets = docsets.document_sets(out, REGIMENS)
    assert sets["therapies"] == {"gemcitabine", "nab-paclitaxel", "folfirinox"}
    assert sets["therapy-organ"] == {("gemcitabine", "liver"), ("nab-paclitaxel", "liver")}
    assert sets["therapy_classes"] == {"chemotherapy"}


# --------------------------------------------------------------------------- scores


def _gold_record(**fields: Any) -> goldstd.GoldRecord:
    return goldstd.gold_record(_gold(pmid="1", **fields), where="test")


def test_one_false_positive_and_one_false_negative_change_the_scores() -> None:
    gold = _gold_record(organs=["liver", "lung"], stages=["recurrence"])
    predicted = docsets.document_sets(
        {"entities": [_entity("ORGAN", "liver"), _entity("ORGAN", "bone"), _entity("STAGE", "recurrence")]}
    )
    scores = ev.score([(gold, predicted)])
    organs = scores.counts["organs"]
    assert (organs.tp, organs.fp, organs.fn, organs.support) == (1, 1, 1, 2)
    assert organs.precision == pytest.approx(0.5) and organs.recall == pytest.approx(0.5)
    assert organs.f1 == pytest.approx(0.5)
    assert scores.counts["stages"].f1 == pytest.approx(1.0)
    assert scores.counts["mechanisms"].f1 is None  # nothing in gold, nothing predicted
    assert scores.records[0].fp == {"organs": ["bone"]} and scores.records[0].fn == {"organs": ["lung"]}


def test_scores_are_micro_averaged_over_documents() -> None:
    perfect = (_gold_record(organs=["liver"]), docsets.document_sets({"entities": [_entity("ORGAN", "liver")]}))
    empty_gold = goldstd.gold_record(_gold(pmid="2"), where="test")
    spurious = (empty_gold, docsets.document_sets({"entities": [_entity("ORGAN", "liver"), _entity("ORGAN", "skin")]}))
    organs = ev.score([perfect, spurious]).counts["organs"]
    assert (organs.tp, organs.fp, organs.fn) == (1, 2, 0)
    assert organs.precision == pytest.approx(1 / 3) and organs.recall == pytest.approx(1.0)
    assert organs.f1 == pytest.approx(0.5)
    assert not ev.meets_targets(organs, "organs")


def test_pairs_are_scored_as_pairs() -> None:
    gold = _gold_record(
        organs=["liver"],
        mechanisms=["stroma-caf"],
        pairs={"mechanism-organ": [["stroma-caf", "liver"]]},
    )
    wrong_pair = docsets.document_sets({"tuples": [_tuple("stroma-caf", stage="dormancy"), _tuple("hypoxia", "liver")]})
    counts = ev.score([(gold, wrong_pair)]).counts
    assert counts["mechanisms"].tp == 1 and counts["mechanisms"].fp == 1
    assert (counts["mechanism-organ"].tp, counts["mechanism-organ"].fp, counts["mechanism-organ"].fn) == (0, 1, 1)


# --------------------------------------------------------------------------- gold file


def test_gold_unknown_key_names_line_record_and_key(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "g.jsonl", [_gold(pmid="1"), _gold(pmid="42", organs=["livre"])])
    with pytest.raises(InputError, match=r"line 2 \(PMID 42\): unknown organ key 'livre'"):
        goldstd.read_gold(path)


def test_gold_pair_must_use_listed_keys(tmp_path: Path) -> None:
    bad = _gold(doi="10.1/x", organs=["liver"], pairs={"mechanism-organ": [["hypoxia", "liver"]]})
    with pytest.raises(InputError, match=r"doi:10\.1/x.*mechanism-organ pair"):
        goldstd.read_gold(_write_jsonl(tmp_path / "g.jsonl", [bad]))


def test_gold_bad_json_line_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(_gold(pmid="1")) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ParseError, match="line 2: not valid JSON"):
        goldstd.read_gold(path)
    with pytest.raises(InputError, match="cannot read"):
        goldstd.read_gold(tmp_path / "absent.jsonl")


def test_gold_duplicate_record_is_refused(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "g.jsonl", [_gold(pmid="7"), _gold(pmid="7")])
    with pytest.raises(InputError, match="already annotated on line 1"):
        goldstd.read_gold(path)


def test_records_match_by_pmid_then_doi_then_title() -> None:
    gold = [
        goldstd.gold_record(_gold(pmid="111", doi="10.9/ignored"), where="t"),
        goldstd.gold_record(_gold(doi="10.1000/ABC"), where="t"),
        goldstd.gold_record(_gold(title_prefix="A title with no identifiers at all"), where="t"),
        goldstd.gold_record(_gold(pmid="999"), where="t"),
    ]
    records = [
        (1, {"pmid": "111", "doi": "10.9/other", "title": "One", "abstract": "x"}),
        (2, {"pmid": "", "doi": "10.1000/abc", "title": "Two", "abstract": "x"}),
        (3, {"pmid": "", "doi": "", "title": "A title with no identifiers at all, and more", "abstract": "x"}),
        (4, {"pmid": "555", "doi": "", "title": "Not annotated", "abstract": "x"}),
    ]
    matched = ev.match_records(gold, records, "r.jsonl")
    assert [rec["title"][:3] for _, rec in matched.pairs] == ["One", "Two", "A t"]
    assert [g.pmid for g in matched.missing] == ["999"]
    assert matched.unannotated == 1


# --------------------------------------------------------------------------- command line


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    gold = _write_jsonl(
        tmp_path / "gold.jsonl",
        [
            _gold(pmid="100", organs=["liver"], therapies=["gemcitabine"], therapy_classes=["chemotherapy"]),
            _gold(doi="10.5555/two", organs=["lung"], stages=["recurrence"]),
        ],
    )
    records = _write_jsonl(
        tmp_path / "records.jsonl",
        [
            {"pmid": "100", "title": "Liver metastases", "abstract": "Patients received gemcitabine. No lung lesions."},
            {"pmid": "", "doi": "10.5555/TWO", "title": "Relapse", "abstract": "Lung recurrence after surgery."},
        ],
    )
    return gold, records


def _fake_pipeline(monkeypatch: pytest.MonkeyPatch, outputs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def annotate_records(records: Iterable[dict[str, Any]], **kw: Any) -> Iterator[dict[str, Any]]:
        for rec in records:
            seen.append(rec)
            yield {"pmid": rec["pmid"], **outputs[rec["title"]]}

    module = types.ModuleType("pdacmine.miner.annotate")
    module.annotate_records = annotate_records  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pdacmine.miner.annotate", module)
    return seen


def test_cli_scores_the_pipeline_beside_the_baseline(corpus: tuple[Path, Path], monkeypatch) -> None:
    gold, records = corpus
    seen = _fake_pipeline(
        monkeypatch,
        {
            "Liver metastases": {"entities": [_entity("ORGAN", "liver"), _entity("ORGAN", "lung", negated=True)]},
            "Relapse": {"entities": [_entity("ORGAN", "lung"), _entity("STAGE", "recurrence")]},
        },
    )
    result = CliRunner().invoke(cli, ["evaluate", str(gold), "--records", str(records), "--baseline"])
    assert result.exit_code == 0, result.output
    assert len(seen) == 2 and seen[0]["abstract"].startswith("Patients")
    organs = next(line for line in result.stdout.splitlines() if line.startswith("organs"))
    assert organs.split()[1:8] == ["2", "1.000", "1.000", "1.000", "2", "0", "0"]
    therapies = next(line for line in result.stdout.splitlines() if line.startswith("therapies"))
    assert "below target" in therapies and "not above baseline" in therapies


def test_cli_json_and_per_record(corpus: tuple[Path, Path], monkeypatch) -> None:
    gold, records = corpus
    _fake_pipeline(monkeypatch, {"Liver metastases": {"entities": [_entity("ORGAN", "bone")]}, "Relapse": {}})
    args = ["evaluate", str(gold), "--records", str(records), "--format", "json", "--per-record"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scored_records"] == 2 and data["missing_from_records"] == []
    assert data["pipeline"]["scores"]["organs"] == {
        "tp": 0, "fp": 1, "fn": 2, "support": 2, "precision": 0.0, "recall": 0.0, "f1": 0.0,
    }  # fmt: skip
    first = data["pipeline"]["records"][0]
    assert first["record"] == "PMID 100" and first["fp"] == {"organs": ["bone"]}
    assert first["fn"]["organs"] == ["liver"]
    text = CliRunner().invoke(cli, [*args[:-3], "--per-record"])
    assert "FP organs           bone" in text.stdout and "doi:10.5555/two" in text.stdout


def test_cli_by_file_scores_each_gold_file_apart(corpus: tuple[Path, Path], monkeypatch, tmp_path: Path) -> None:
    gold, records = corpus
    rows = [json.loads(line) for line in gold.read_text().splitlines()]
    first, second = _write_jsonl(tmp_path / "a.jsonl", rows[:1]), _write_jsonl(tmp_path / "b.jsonl", rows[1:])
    outputs = {"Liver metastases": {"entities": [_entity("ORGAN", "liver")]}, "Relapse": {"entities": []}}
    _fake_pipeline(monkeypatch, outputs)
    args = ["evaluate", str(first), str(second), "--records", str(records), "--by-file"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    by_file = json.loads(result.stdout)["by_file"]
    assert list(by_file) == [str(first), str(second)]
    assert by_file[str(first)]["pipeline"]["organs"]["f1"] == 1.0
    assert by_file[str(second)]["pipeline"]["organs"]["f1"] == 0.0
    text = CliRunner().invoke(cli, args).stdout
    assert f"[1] {first} (pipeline, 1 records)" in text
    assert next(line for line in text.splitlines() if line.startswith("organs") and "(" in line).split() == [
        "organs", "1.000", "(1.000)", "0.000", "(-)",
    ]  # fmt: skip


def test_cli_bad_input_is_one_line_exit_3(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    gold, records = corpus
    missing = CliRunner().invoke(cli, ["evaluate", str(gold), "--records", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 3 and "none.jsonl: cannot read" in missing.stderr
    bad_gold = _write_jsonl(tmp_path / "bad.jsonl", [_gold(pmid="5", stages=["spreading"])])
    result = CliRunner().invoke(cli, ["evaluate", str(bad_gold), "--records", str(records), "--baseline-only"])
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and "line 1 (PMID 5): unknown stage key 'spreading'" in lines[0]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"pmid": "100", "title": "x"}\n{"pmid": \n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(gold), "--records", str(broken), "--baseline-only"])
    assert result.exit_code == 3 and "broken.jsonl, line 2: not valid JSON" in result.stderr
