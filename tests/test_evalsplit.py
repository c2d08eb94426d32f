"""Issue #8: the development / locked split, the reliability table and the CLI options that use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdacmine.cli import cli
from pdacmine.errors import InputError
from pdacmine.miner import evalsplit as es
from pdacmine.miner import evaluate as ev
from pdacmine.miner import gold_standard as goldstd
from tests.test_evaluate import _entity, _fake_pipeline, _gold, _tuple, _write_jsonl

HELDOUT = Path(__file__).parent.parent / "eval" / "heldout"


def _ids(*pmids: str) -> list[dict[str, str]]:
    return [{"pmid": p, "doi": "", "title_prefix": ""} for p in pmids]


def _split(path: Path, locked: list[str], folds: list[list[str]]) -> Path:
    path.write_text(json.dumps({"seed": 1, "locked": _ids(*locked), "folds": [_ids(*f) for f in folds]}))
    return path


def test_the_shipped_split_has_a_locked_quarter_and_five_folds() -> None:
    split = es.read_split(Path(__file__).parent.parent / "eval" / "split.json")
    assert len(split.locked) == 55 and len(split.folds) == 5
    later = goldstd.read_gold(Path(__file__).parent.parent / "eval" / "extra" / "gold.jsonl")
    assert sum(len(f) for f in split.folds) == 165 + len(later)
    assert {goldstd.identity(g.pmid, g.doi, g.title_prefix) for g in later} <= set().union(*split.folds)
    assert all(not (split.locked & f) for f in split.folds)


def test_a_split_that_repeats_a_record_or_is_malformed_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="repeats a record"):
        es.read_split(_split(tmp_path / "s.json", ["1"], [["2"], ["1"]]))
    (tmp_path / "bad.json").write_text('{"locked": []}')
    with pytest.raises(InputError, match="'locked' and 'folds'"):
        es.read_split(tmp_path / "bad.json")
    with pytest.raises(InputError, match="cannot read"):
        es.read_split(tmp_path / "missing.json")


def test_partition_and_folds_follow_the_split(tmp_path: Path) -> None:
    split = es.read_split(_split(tmp_path / "s.json", ["1"], [["2"], ["3"]]))
    gold = [goldstd.gold_record(_gold(pmid=p), where="g") for p in ("1", "2", "3", "4")]
    matched = ev.Matched([(g, {"pmid": g.pmid}) for g in gold], [], 0)
    parts = es.partition(matched, split)
    assert [g.pmid for g, _ in parts[es.LOCKED].pairs] == ["1"]
    assert [g.pmid for g, _ in parts[es.DEVELOPMENT].pairs] == ["2", "3"]
    assert [g.pmid for g, _ in parts[es.UNSPLIT].pairs] == ["4"]
    assert es.fold_of(parts[es.DEVELOPMENT], split) == [0, 1]


def test_untrained_records_are_scored_in_the_folds_but_never_trained_on(tmp_path: Path) -> None:
    path = _split(tmp_path / "s.json", ["1"], [["2", "5"], ["3"]])
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "untrained": _ids("5")}))
    split = es.read_split(path)
    gold = [goldstd.gold_record(_gold(pmid=p), where="g") for p in ("2", "3", "5")]
    dev = ev.Matched([(g, {"pmid": g.pmid}) for g in gold], [], 0)
    assert es.fold_of(dev, split) == [0, 1, 0]
    assert es.trainable(dev, split) == [True, True, False]
    path.write_text(json.dumps({**raw, "untrained": _ids("1")}))
    with pytest.raises(InputError, match="in no development fold"):
        es.read_split(path)


def test_reliability_bins_tuples_by_confidence_and_counts_the_right_ones() -> None:
    gold = goldstd.gold_record(
        _gold(pmid="1", organs=["liver"], mechanisms=["emt-plasticity"],
              pairs={"mechanism-organ": [["emt-plasticity", "liver"]]}),
        where="g",
    )  # fmt: skip
    right = {**_tuple("emt-plasticity", organ="liver"), "confidence": 0.95}
    wrong = {**_tuple("emt-plasticity", organ="lung"), "confidence": 0.85}
    general = {**_tuple("emt-plasticity"), "confidence": 0.5}
    negated = {**_tuple("emt-plasticity", organ="lung", negated=True), "confidence": 0.9}
    rel = es.reliability([(gold, {"tuples": [right, wrong, general, negated]})])
    high = rel.at_least(0.8)
    assert (high.n, high.right) == (2, 1)
    middle = next(b for b in rel.bins if b.low <= 0.5 < b.high)
    assert (middle.n, middle.right) == (1, 1)


@pytest.fixture()
def split_corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    gold = _write_jsonl(
        tmp_path / "gold.jsonl",
        [_gold(pmid=p, organs=["liver"]) for p in ("1", "2", "3")],
    )
    records = _write_jsonl(
        tmp_path / "records.jsonl",
        [{"pmid": p, "title": f"T{p}", "abstract": "Liver metastases."} for p in ("1", "2", "3")],
    )
    return gold, records, _split(tmp_path / "split.json", ["3"], [["1"], ["2"]])


def test_cli_scores_development_and_locked_only_on_request_and_never_lists_locked_records(
    split_corpus: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    gold, records, split = split_corpus
    liver = {
        "entities": [_entity("ORGAN", "liver")],
        "tuples": [{**_tuple("emt-plasticity", organ="liver"), "confidence": 0.9}],
    }
    seen = _fake_pipeline(monkeypatch, {"T1": liver, "T2": {"entities": [_entity("ORGAN", "bone")]}, "T3": {}})
    base = ["evaluate", str(gold), "--records", str(records), "--split", str(split), "--per-record"]
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 0, result.output
    assert [r["title"] for r in seen] == ["T1", "T2"]  # the locked record is not even run
    assert "== development: 2 records" in result.stdout and "== locked" not in result.stdout
    assert ">= 0.8" in result.stdout and "reliability" in result.stdout
    locked = CliRunner().invoke(cli, [*base, "--locked", "--format", "json"])
    data = json.loads(locked.stdout)
    assert data["locked"]["scored_records"] == 1 and "records" not in data["locked"]["pipeline"]
    assert data["locked"]["pipeline"]["scores"]["organs"]["fn"] == 1
    assert "records" in data["development"]["pipeline"]


def test_cli_locked_and_cross_validate_need_a_split(split_corpus: tuple[Path, Path, Path]) -> None:
    gold, records, _ = split_corpus
    result = CliRunner().invoke(cli, ["evaluate", str(gold), "--records", str(records), "--locked"])
    assert result.exit_code == 3 and "need --split" in result.stderr


def test_cli_reads_several_gold_and_records_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _write_jsonl(tmp_path / "a.jsonl", [_gold(pmid="1", organs=["liver"])])
    second = _write_jsonl(tmp_path / "b.jsonl", [_gold(pmid="2", organs=["lung"])])
    r1 = _write_jsonl(tmp_path / "r1.jsonl", [{"pmid": "1", "title": "A", "abstract": "x"}])
    r2 = _write_jsonl(tmp_path / "r2.jsonl", [{"pmid": "2", "title": "B", "abstract": "x"}])
    _fake_pipeline(monkeypatch, {"A": {"entities": [_entity("ORGAN", "liver")]}, "B": {}})
    args = ["evaluate", str(first), str(second), "--records", str(r1), "--records", str(r2), "--format", "json"]
    data = json.loads(CliRunner().invoke(cli, args).stdout)
    assert data["scored_records"] == 2
    assert data["pipeline"]["scores"]["organs"] == {**data["pipeline"]["scores"]["organs"], "tp": 1, "fn": 1}
    again = CliRunner().invoke(cli, ["evaluate", str(first), str(first), "--records", str(r1)])
    assert again.exit_code == 3 and "already annotated" in again.stderr


def test_cli_cross_validates_the_claim_model_on_the_development_folds(tmp_path: Path) -> None:
    """Real pipeline on the invented held-out set dealt into 5 folds: each fold is scored by a model
    trained on the other four, and every development record is scored once."""
    pmids = [json.loads(line)["pmid"] for line in (HELDOUT / "gold.jsonl").read_text().splitlines() if line.strip()]
    split = _split(tmp_path / "split.json", pmids[:5], [pmids[5 + i :: 5] for i in range(5)])
    args = ["evaluate", str(HELDOUT / "gold.jsonl"), "--records", str(HELDOUT / "records.jsonl")]
    result = CliRunner().invoke(cli, [*args, "--split", str(split), "--cross-validate", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cv = data["cross-validated (5 folds)"]
    assert cv["scored_records"] == len(pmids) - 5
    assert cv["pipeline"]["scores"]["organs"]["tp"] > 0
    assert sum(b["n"] for b in cv["reliability"]) > 0
