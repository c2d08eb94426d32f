"""Choosing the claim classifier's settings by inner cross-validation, and its calibration."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from pdacmine.miner import claim_selection as sel
from pdacmine.miner import claim_training as ct
from pdacmine.miner.nlp.claim_model import Candidate

GRID = {"l2_grid": [0.1, 100.0], "min_count_grid": [1], "lexical_grid": [1.0], "inner_folds": 4}


def _record(rng: np.random.Generator, noisy: bool) -> ct.Labelled:
    """Six candidates; a clean record's label follows its cue word, a noisy one's is a coin toss."""
    cands, labels = [], []
    for _ in range(6):
        label = bool(rng.random() < 0.5)
        cue = "w:promote" if label else "w:unlike"
        if noisy:
            cue, label = f"w:word{int(rng.integers(8))}", bool(rng.random() < 0.5)
        cands.append(Candidate("mechanism-organ", ("a", "liver"), ("kind=mechanism-organ", cue)))
        labels.append(label)
    return ct.Labelled(cands, labels)


def _dataset(noisy: bool) -> list[ct.Labelled]:
    rng = np.random.default_rng(7)
    return [_record(rng, noisy) for _ in range(16)]


def test_inner_cross_validation_regularises_noise_and_trusts_a_separable_signal() -> None:
    clean = ct.select_settings(_dataset(False), ct.inner_folds(16, 4), {**ct.DEFAULTS, **GRID})[0]
    noisy = ct.select_settings(_dataset(True), ct.inner_folds(16, 4), {**ct.DEFAULTS, **GRID})[0]
    assert clean["l2"] == 0.1 and noisy["l2"] == 100.0
    assert ct.fit(_dataset(True), GRID).meta["l2"] == 100.0  # fit keeps what the inner folds chose


def test_the_grid_is_tried_simplest_first() -> None:
    combos = list(sel.settings_grid({"l2_grid": [1.0, 10.0], "min_count_grid": [4, 2], "lexical_grid": [0.0, 1.0]}))
    assert combos[0] == {"l2": 10.0, "min_count": 2, "lexical": 0.0} and len(combos) == 8
    assert list(sel.settings_grid({"l2": 5.0, "min_count": 2, "lexical": 1.0})) == [
        {"l2": 5.0, "min_count": 2, "lexical": 1.0}
    ]


def test_a_lexical_weight_of_zero_leaves_the_words_out() -> None:
    model = ct.fit_weights(_dataset(False), {**ct.DEFAULTS, "min_count": 1, "lexical": 0.0})
    assert "kind=mechanism-organ" in model.weights and not any("w:" in f for f in model.weights)
    half = ct.fit_weights(_dataset(False), {**ct.DEFAULTS, "min_count": 1, "lexical": 0.5})
    full = ct.fit_weights(_dataset(False), {**ct.DEFAULTS, "min_count": 1, "lexical": 1.0})
    assert 0 < half.weights["w:promote"] < full.weights["w:promote"]


def test_platt_scaling_is_increasing_and_shrinks_overconfident_scores() -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(0.0, 1.5, 400)
    labels = rng.random(400) < 1 / (1 + np.exp(-truth))
    a, b = sel.platt(list(3 * truth), list(labels))  # scores three times too confident
    assert 0.2 < a < 0.5
    probs = [sel.calibrate(p, a, b) for p in np.linspace(0.01, 0.99, 50)]
    assert all(x < y for x, y in pairwise(probs))
    assert sel.platt([1.0, 2.0, 3.0], [True, True, True]) == (1.0, 0.0)  # one class only: identity
    assert sel.platt([3.0, 2.0, -2.0, -3.0], [False, False, True, True]) == (1.0, 0.0)  # never reverses


def test_calibration_keeps_every_decision_of_the_model() -> None:
    data = _dataset(False) + _dataset(True)
    raw = ct.fit(data, {"calibrate": False})
    cal = ct.fit(data, {"calibrate": True})
    assert cal.meta["calibration"] != [1.0, 0.0]
    for d in data:
        for c in d.candidates:
            for rule in (True, False):
                assert raw.accepts(c.kind, raw.probability(c.features), rule) == cal.accepts(
                    c.kind, cal.probability(c.features), rule
                )


def test_training_with_selection_and_calibration_is_deterministic() -> None:
    settings = {**GRID, "lexical_grid": [1.0, 0.0]}
    first, second = ct.fit(_dataset(True), settings), ct.fit(_dataset(True), settings)
    assert first.to_json() == second.to_json()


def test_log_loss_of_a_confident_right_score_is_small() -> None:
    assert sel.log_loss([8.0, -8.0], [True, False]) < 0.001 < sel.log_loss([0.0], [True])
    assert sel.log_loss([], []) == 0.0
