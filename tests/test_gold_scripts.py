"""Issue #8: the scripts that grow the real annotated data (annotator agreement, the split of later records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import gold_agreement, make_split


def _gold(pmid: str, **sets: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"pmid": pmid, "doi": "", "title_prefix": f"Invented title {pmid}"}
    for facet in ("organs", "stages", "mechanisms", "therapies", "therapy_classes"):
        record[facet] = sets.get(facet, [])
    record["pairs"] = sets.get("pairs", {})
    return record


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_agreement_scores_one_annotator_against_the_other_and_lists_the_differences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _write(tmp_path / "a.jsonl", [_gold("1", organs=["liver", "lung"]), _gold("2", stages=["recurrence"])])
    b = _write(tmp_path / "b.jsonl", [_gold("1", organs=["liver"]), _gold("2", stages=["recurrence"]), _gold("3")])
    assert gold_agreement.main([str(a), str(b), "--differences"]) == 0
    out = capsys.readouterr().out
    assert "2 records annotated by both; 1 differ" in out
    organs = next(line for line in out.splitlines() if line.startswith("organs"))
    assert organs.split()[1:] == ["2", "1", "1", "0.667"]
    assert "A only: organs: lung" in out and "annotated by one only: PMID 3" in out


def test_agreement_names_a_bad_gold_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path / "a.jsonl", [_gold("1", organs=["elbow"])])
    assert gold_agreement.main([str(a), str(a)]) == 2
    assert "unknown organ key 'elbow'" in capsys.readouterr().err


def _corpora(tmp_path: Path, later: int) -> tuple[Path, Path]:
    shared, repo = tmp_path / "shared", tmp_path / "repo"
    kinds = [{"organs": ["liver"]}, {"mechanisms": ["stroma-caf"]}, {}]
    _write(repo / "eval" / "gold.jsonl", [_gold(f"1{i:03}", **kinds[i % 3]) for i in range(40)])
    _write(shared / "dev-corpus-2" / "gold.jsonl", [_gold(f"2{i:03}", **kinds[i % 3]) for i in range(80)])
    (shared / "dev-corpus-2" / "reserved.tsv").write_text("pmid\tpmcid\tdoi\ttitle\n9999\t\t\tA reserved paper\n")
    if later:
        _write(repo / "eval" / "extra" / "gold.jsonl", [_gold(f"3{i:03}", **kinds[i % 3]) for i in range(later)])
    return shared, repo


def _members(split: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    return [i["pmid"] for i in split["locked"]], [[i["pmid"] for i in f] for f in split["folds"]]


def test_later_records_join_the_development_folds_and_leave_the_first_draw_unchanged(tmp_path: Path) -> None:
    shared, repo = _corpora(tmp_path, later=0)
    locked, folds = _members(make_split.build(shared, repo, 7))
    shared, repo = _corpora(tmp_path, later=23)
    after = make_split.build(shared, repo, 7)
    locked_after, folds_after = _members(after)
    assert sorted(i["pmid"] for i in after["untrained"]) == [f"3{i:03}" for i in range(23)]
    assert locked_after == locked and all(not p.startswith("3") for p in locked_after)
    assert [f[: len(old)] for f, old in zip(folds_after, folds, strict=True)] == folds
    added = sorted(p for f in folds_after for p in f if p.startswith("3"))
    assert added == [f"3{i:03}" for i in range(23)]
    sizes = [len(f) for f in folds_after]
    assert max(sizes) - min(sizes) <= 1


def test_a_reserved_record_among_the_later_ones_is_refused(tmp_path: Path) -> None:
    shared, repo = _corpora(tmp_path, later=3)
    _write(repo / "eval" / "extra" / "gold.jsonl", [_gold("9999")])
    with pytest.raises(SystemExit, match="reserved record"):
        make_split.build(shared, repo, 7)
