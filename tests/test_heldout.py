"""Quality gate on the invented held-out set (eval/heldout): the pipeline meets every target and beats
the keyword baseline on every measure. Its texts are ours, so this runs on any clone."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pdacmine.cli import cli

HELDOUT = Path(__file__).parent.parent / "eval" / "heldout"


def test_heldout_scores_meet_the_targets_and_beat_the_baseline() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(HELDOUT / "gold.jsonl"),
            "--records",
            str(HELDOUT / "records.jsonl"),
            "--baseline",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["scored_records"] == report["gold_records"] == 40
    targets = report["targets"]
    pipeline, baseline = report["pipeline"]["scores"], report["baseline"]["scores"]
    below = {
        measure: (got["precision"], got["f1"])
        for measure, got in pipeline.items()
        if got["f1"] < targets["f1"][measure] or got["precision"] < targets["precision"]
    }
    assert below == {}, f"below target (precision, F1): {below}"
    assert all(pipeline[m]["f1"] > baseline[m]["f1"] for m in pipeline), "the keyword baseline wins somewhere"
