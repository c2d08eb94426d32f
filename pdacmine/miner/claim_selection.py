"""Choosing the claim classifier's settings by inner cross-validation, and calibrating it (issue #8).

Pure numpy helpers for :mod:`pdacmine.miner.claim_training`:

- :func:`settings_grid`: every combination of the candidate settings (L2 strength, feature minimum
  count, weight of the lexical features), simplest first, so that a tie keeps the simpler model;
- :func:`log_loss`: the mean negative log-likelihood of labels under scores (logits), the selection
  criterion; out-of-fold scores of the training records only, never of the fold being scored;
- :func:`platt`: Platt scaling, ``p = sigmoid(a * z + b)`` fitted to out-of-fold scores with Platt's
  smoothed targets; ``a`` is kept positive so calibration never reorders candidates.

A logistic model's score is linear, so the calibration folds into its weights and bias
(:func:`pdacmine.miner.claim_training.calibrated`): the model file keeps its format.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np

#: grid settings -> the single setting each one chooses
GRIDS = {"l2_grid": "l2", "min_count_grid": "min_count", "lexical_grid": "lexical"}


def settings_grid(opts: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Each combination of the grids of ``opts``, simplest first (strongest L2, highest minimum count,
    least lexical weight); a missing grid keeps the single setting."""
    axes = []
    for grid, name in GRIDS.items():
        values = opts.get(grid) or [opts[name]]
        simple_first = sorted(values, reverse=name == "l2")
        axes.append([(name, v) for v in simple_first])
    for combination in product(*axes):
        yield dict(combination)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))


def log_loss(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mean negative log-likelihood of ``labels`` under logits ``scores`` (0 for no data)."""
    if not len(scores):
        return 0.0
    z = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    # log(1 + e^z) - y z, computed stably
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def platt(scores: Sequence[float], labels: Sequence[bool], iterations: int = 50) -> tuple[float, float]:
    """``(a, b)`` of the Platt scaling ``sigmoid(a * z + b)`` of logits ``scores`` (damped Newton's method on
    Platt's smoothed targets). The identity ``(1, 0)`` when there are too few labels of either class or
    the fit would not increase with the score."""
    z = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos < 2 or neg < 2:
        return 1.0, 0.0
    t = np.where(y, (pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0))
    x = np.column_stack([z, np.ones_like(z)])

    def loss(theta: np.ndarray) -> float:
        s = x @ theta
        return float(np.sum(np.logaddexp(0.0, s) - t * s))

    theta = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = sigmoid(x @ theta)
        grad = x.T @ (p - t)
        hess = (x.T * (p * (1 - p))) @ x + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        before, scale = loss(theta), 1.0
        while scale > 1e-6 and loss(theta - scale * step) > before:
            scale /= 2  # damped Newton: never increase the loss
        theta = theta - scale * step
        if float(np.abs(scale * step).max()) < 1e-10:
            break
    a, b = float(theta[0]), float(theta[1])
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 1e-3:
        return 1.0, 0.0
    return a, b


def calibrate(p: float, a: float, b: float) -> float:
    """The calibrated value of probability ``p``: ``sigmoid(a * logit(p) + b)`` (increasing in ``p``)."""
    p = min(max(p, 1e-12), 1 - 1e-12)
    z = a * math.log(p / (1 - p)) + b
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
