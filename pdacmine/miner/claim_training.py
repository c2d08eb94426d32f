"""Training the claim classifier (:mod:`pdacmine.miner.nlp.claim_model`) from annotated records.

Candidates come from the rules' pairing (the pipeline run with no model, every candidate kept);
their labels from the document-level gold: a candidate is positive when its item is in its
record's gold (a category in ``mechanisms``, a pair in its pair type). The model is an
L2-regularised logistic regression fitted by full-batch gradient descent with numpy, seeded and
deterministic. :func:`cross_validate` trains on k-1 folds and predicts the k-th, by record.

The acceptance threshold of each kind of *broad* candidate (one the pairing rules do not make) is
chosen by cross-validation inside the training records (:func:`broad_thresholds`): the lowest
threshold of ``threshold_grid`` at which the items it would add to a document (those no rule
candidate already asserts) are right at least ``broad_precision`` of the time out of fold, counting
one extra wrong item so that a handful of lucky items does not qualify. A kind that never reaches
it keeps the strict default. Training on folds of the development records therefore never sees the
fold it is scored on, thresholds included.

The model's own settings are chosen the same way (:func:`fit`): for each combination of the grids
(L2 strength, minimum number of training records a feature must be seen in, weight of the lexical
features: the words between the two members, which carry over to unseen text less than the cue
classes, distances and document facts do) the training records' candidates are scored out of fold
by models of the other inner folds, and the combination with the lowest log-loss wins (the simpler
one on a tie). Those out-of-fold scores of the winner also fit a Platt scaling
(:mod:`pdacmine.miner.claim_selection`), folded into the weights, so that a candidate's probability
(a tuple's ``confidence``) is calibrated. The thresholds (:data:`THRESHOLDS` and the broad ones) are
set on the uncalibrated scale and mapped through the same scaling, so calibration changes no decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pdacmine.miner import claim_selection as sel
from pdacmine.miner.annotate import annotate_records
from pdacmine.miner.document_sets import combination_components
from pdacmine.miner.evaluate import Matched, predict_outputs
from pdacmine.miner.evidence import AnnotatedDocument
from pdacmine.miner.gold_standard import GoldRecord
from pdacmine.miner.nlp import claim_model
from pdacmine.miner.nlp.claim_features import is_lexical
from pdacmine.miner.nlp.claim_model import Candidate, ClaimModel
from pdacmine.miner.nlp.vocab import Vocabulary

#: training settings (saved in the model's ``meta``)
DEFAULTS: dict[str, Any] = {
    "l2": 5.0,
    "iterations": 400,
    "learning_rate": 0.5,
    "min_count": 2,
    #: weight of the lexical features (0 drops them); the value of a lexical feature in the fit
    "lexical": 1.0,
    #: the settings inner cross-validation chooses from (claim_selection.settings_grid). One value each:
    #: the wider grids l2 1/5/25/100 x min count 2/4/8 x lexical 1/0.5/0 lowered the candidates' out-of-fold
    #: log-loss (0.382 -> 0.372) but not the document figures (eval/README.md), so they are not the default
    "l2_grid": [5.0],
    "min_count_grid": [2],
    "lexical_grid": [1.0],
    "calibrate": True,
    "seed": 13,
    "inner_folds": 5,
    "broad_precision": 0.9,
    "threshold_grid": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
}


#: acceptance thresholds per candidate kind: rule-made candidates, and broad ones (``kind|broad``)
THRESHOLDS: dict[str, float] = {
    **{kind: 0.4 for kind in claim_model.KINDS},
    **{f"{kind}|broad": 0.95 for kind in claim_model.KINDS},
}


@dataclass(slots=True)
class Labelled:
    """The candidates of one record with their gold labels."""

    candidates: list[Candidate]
    labels: list[bool]


def is_positive(c: Candidate, gold: GoldRecord, vocab: Vocabulary | None) -> bool:
    if c.kind == "mechanism":
        return c.item in gold.sets["mechanisms"]
    if c.kind == "therapy-organ" and isinstance(c.item, tuple):
        drug, organ = c.item
        drugs = combination_components(vocab, drug) or (drug,)
        return all((d, organ) in gold.sets["therapy-organ"] for d in drugs)
    return c.item in gold.sets[c.kind]


def record_candidates(record: Mapping[str, Any]) -> list[Candidate]:
    """Every candidate the rules propose for one record (pipeline run with no model)."""
    with claim_model.using(None), claim_model.recording() as recorded:
        list(annotate_records([record]))
    return [c for doc in recorded for c in doc]


def labelled(pairs: Iterable[tuple[GoldRecord, Mapping[str, Any]]], vocab: Vocabulary | None) -> list[Labelled]:
    out = []
    for gold, record in pairs:
        cands = record_candidates(record)
        out.append(Labelled(cands, [is_positive(c, gold, vocab) for c in cands]))
    return out


def _matrix(cands: Sequence[Candidate], index: Mapping[str, int], value: np.ndarray) -> np.ndarray:
    x = np.zeros((len(cands), len(index)), dtype=np.float32)
    for row, c in enumerate(cands):
        cols = [index[f] for f in c.features if f in index]
        x[row, cols] = value[cols]
    return x


def fit_weights(data: Sequence[Labelled], opts: Mapping[str, Any]) -> ClaimModel:
    """The logistic weights over the candidates of ``data``, with the default thresholds.

    A lexical feature takes the value ``opts["lexical"]`` instead of 1 in the fit (its weight is scaled
    back so the model still sums the weights of the features present); 0 leaves it out.
    """
    cands = [c for d in data for c in d.candidates]
    y = np.array([float(v) for d in data for v in d.labels], dtype=np.float32)
    seen = Counter(f for c in cands for f in set(c.features))
    lexical = float(opts["lexical"])
    names = sorted(f for f, n in seen.items() if n >= opts["min_count"] and (lexical > 0 or not is_lexical(f)))
    index = {f: i for i, f in enumerate(names)}
    value = np.array([lexical if is_lexical(f) else 1.0 for f in names], dtype=np.float32)
    x = _matrix(cands, index, value)
    rng = np.random.default_rng(opts["seed"])
    w = rng.normal(0.0, 1e-3, len(names)).astype(np.float32)
    b = float(np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))) if len(y) else 0.0
    n = max(1, len(y))
    lr, l2 = float(opts["learning_rate"]), float(opts["l2"])
    for _ in range(int(opts["iterations"])):
        z = np.clip(x @ w + b, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        err = p - y
        w -= lr * ((x.T @ err) / n + l2 * w / n)
        b -= lr * float(err.mean())
    meta = {**opts, "candidates": len(y), "positives": int(y.sum()), "features": len(names)}
    weights = {f: float(w[i] * value[i]) for f, i in index.items()}
    return ClaimModel(weights, b, dict(THRESHOLDS), meta=meta)


def inner_folds(n: int, k: int) -> list[list[int]]:
    """Record indices of ``k`` inner folds (every k-th record: deterministic)."""
    return [[i for i in range(n) if i % k == f] for f in range(k)]


def out_of_fold_scores(
    data: Sequence[Labelled], folds: Sequence[Sequence[int]], opts: Mapping[str, Any]
) -> list[list[float]]:
    """The logit of every candidate of ``data``, each fold scored by a model of the other folds."""
    scores: list[list[float]] = [[] for _ in data]
    for f, fold in enumerate(folds):
        sub = fit_weights([data[i] for j, other in enumerate(folds) if j != f for i in other], opts)
        for i in fold:
            scores[i] = [sub.score(c.features) for c in data[i].candidates]
    return scores


def select_settings(
    data: Sequence[Labelled], folds: Sequence[Sequence[int]], opts: Mapping[str, Any]
) -> tuple[dict[str, Any], float, list[list[float]]]:
    """The grid combination with the lowest out-of-fold log-loss (the first, simplest, on a tie): the
    settings, that loss and its out-of-fold scores."""
    labels = [v for d in data for v in d.labels]
    best: tuple[dict[str, Any], float, list[list[float]]] | None = None
    for choice in sel.settings_grid(opts):
        settings = {**opts, **choice}
        scores = out_of_fold_scores(data, folds, settings)
        loss = sel.log_loss([s for per in scores for s in per], labels)
        if best is None or loss < best[1] - 1e-9:
            best = (settings, loss, scores)
    assert best is not None  # the grid has at least one combination
    return best


def calibrated(model: ClaimModel, a: float, b: float) -> ClaimModel:
    """``model`` whose probabilities are ``sigmoid(a * score + b)`` (Platt scaling folded into the weights),
    its thresholds mapped the same way: it accepts exactly the candidates ``model`` accepts."""
    weights = {f: a * w for f, w in model.weights.items()}
    threshold = {kind: sel.calibrate(t, a, b) for kind, t in model.threshold.items()}
    meta = {**model.meta, "calibration": [round(a, 6), round(b, 6)]}
    return ClaimModel(weights, a * model.bias + b, threshold, meta=meta)


def fit(data: Sequence[Labelled], settings: Mapping[str, Any] | None = None) -> ClaimModel:
    """A logistic model over the candidates of ``data``: settings, calibration and broad thresholds chosen
    by inner cross-validation on ``data`` alone (module docstring; deterministic for the same input)."""
    opts = {**DEFAULTS, **(settings or {})}
    k = int(opts["inner_folds"])
    if k < 2 or len(data) < k:
        return fit_weights(data, opts)
    folds = inner_folds(len(data), k)
    chosen, loss, scores = select_settings(data, folds, opts)
    probs = [[float(p) for p in sel.sigmoid(np.asarray(per, dtype=np.float64))] for per in scores]
    threshold = dict(THRESHOLDS)
    threshold.update(broad_thresholds(data, probs, float(opts["broad_precision"]), opts["threshold_grid"]))
    fitted = fit_weights(data, chosen)
    model = ClaimModel(fitted.weights, fitted.bias, threshold, meta={**fitted.meta, "inner_log_loss": round(loss, 6)})
    if not opts["calibrate"]:
        return model
    return calibrated(model, *sel.platt([s for per in scores for s in per], [v for d in data for v in d.labels]))


def added_items(data: Sequence[Labelled], probs: Sequence[Sequence[float]]) -> dict[str, list[tuple[float, bool]]]:
    """kind -> (best broad probability, label) of each document item no accepted rule candidate asserts."""
    out: dict[str, list[tuple[float, bool]]] = {kind: [] for kind in claim_model.KINDS}
    for d, ps in zip(data, probs, strict=True):
        ruled: set[tuple[str, object]] = set()
        best: dict[tuple[str, object], tuple[float, bool]] = {}
        for c, label, p in zip(d.candidates, d.labels, ps, strict=True):
            key: tuple[str, object] = (c.kind, c.item)
            if "rule=True" in c.features:
                if p >= THRESHOLDS[c.kind]:
                    ruled.add(key)
            elif key not in best or p > best[key][0]:
                best[key] = (p, label)
        for (kind, item), scored in best.items():
            if (kind, item) not in ruled:
                out[kind].append(scored)
    return out


def broad_thresholds(
    data: Sequence[Labelled], probs: Sequence[Sequence[float]], precision: float, grid: Sequence[float]
) -> dict[str, float]:
    """``kind|broad`` -> the lowest threshold of ``grid`` whose added items reach ``precision`` (module docstring)."""
    out: dict[str, float] = {}
    for kind, scored in added_items(data, probs).items():
        for t in sorted(grid):
            accepted = [label for p, label in scored if p >= t]
            if accepted and sum(accepted) / (len(accepted) + 1) >= precision:
                out[f"{kind}|broad"] = float(t)
                break
    return out


def folds_of(data_folds: Sequence[int | None], k: int) -> list[list[int]]:
    """Indices of the records of each fold (records outside the folds are left out)."""
    out: list[list[int]] = [[] for _ in range(k)]
    for i, f in enumerate(data_folds):
        if f is not None:
            out[f].append(i)
    return out


def cross_validated_models(
    data: Sequence[Labelled], folds: Sequence[Sequence[int]], trains: Sequence[bool] | None = None
) -> list[ClaimModel]:
    """One model per fold, trained on the records of the other folds (those ``trains`` allows)."""
    models = []
    for k in range(len(folds)):
        train = [data[i] for j, fold in enumerate(folds) if j != k for i in fold if trains is None or trains[i]]
        models.append(fit(train))
    return models


def cross_validated_outputs(
    matched: Matched,
    folds: Sequence[int | None],
    k: int,
    vocab: Vocabulary | None,
    trains: Sequence[bool] | None = None,
) -> tuple[Matched, list[AnnotatedDocument]]:
    """Train on k-1 folds (the records ``trains`` allows), annotate the k-th with that model; the
    records of the folds and their outputs."""
    data = labelled(matched.pairs, vocab)
    members = folds_of(folds, k)
    models = cross_validated_models(data, members, trains)
    pairs: list[tuple[GoldRecord, dict[str, Any]]] = []
    outputs: list[AnnotatedDocument] = []
    for model, fold in zip(models, members, strict=True):
        chosen = [matched.pairs[i] for i in fold]
        with claim_model.using(model):
            outputs += predict_outputs(Matched(chosen, [], 0), plain_annotator)
        pairs += chosen
    return Matched(pairs, matched.missing, matched.unannotated), outputs


def plain_annotator(records: list[dict[str, Any]]) -> Iterable[AnnotatedDocument]:
    """The pipeline on one process (the claim model of the calling context applies)."""
    return annotate_records(records)
