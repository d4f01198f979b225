"""Evaluation metrics. Labels: 1 = anomaly (the positive class), 0 = normal."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (average_precision_score, precision_recall_fscore_support,
                             roc_auc_score)

from tfgan_ad.validate import real_number


def _check(y_true, scores):
    y_true = np.asarray(y_true).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or scores.ndim != 1:
        raise ValueError(f"labels {y_true.shape} and scores {scores.shape} must be equal 1-D shapes")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{int(np.sum(~np.isfinite(scores)))} scores are NaN or infinite")
    return y_true, scores


def prf_at_threshold(y_true, scores, threshold: float) -> dict:
    """Precision/recall/F1 of the decision ``score >= threshold``, plus ties at the threshold."""
    y_true, scores = _check(y_true, scores)
    pred = (scores >= threshold).astype(int)
    p, r, f1, _ = precision_recall_fscore_support(y_true, pred, average="binary",
                                                  zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f1),
            "threshold": float(threshold), "flagged_fraction": float(pred.mean()),
            "ties_at_threshold": int(np.sum(scores == threshold))}


def prf_top_fraction(y_true, scores, fraction: float = 0.2) -> dict:
    """The EGBAD/DAGMM protocol: the top ``fraction`` of *test* scores are anomalies.

    Threshold = the ``100·(1 − fraction)`` percentile of ``scores`` (numpy's
    linear interpolation, as the reference code), decision ``score >= threshold``.
    With heavy ties more than ``fraction`` of rows can be flagged; the result
    reports ``flagged_fraction`` and ``ties_at_threshold`` so that is visible.
    """
    _, scores_ = _check(y_true, scores)
    return prf_at_threshold(y_true, scores_, float(np.percentile(scores_, 100 * (1 - fraction))))


def auprc(y_true, scores) -> float:
    """Area under the precision-recall curve (average precision), anomaly positive."""
    y_true, scores = _check(y_true, scores)
    return float(average_precision_score(y_true, scores))


def roc_auc(y_true, scores) -> float:
    y_true, scores = _check(y_true, scores)
    return float(roc_auc_score(y_true, scores))


def top_classes(scores, class_names, fraction: float = 0.2, k: int = 5) -> list[tuple[str, int]]:
    """Which classes fill the top ``fraction`` of scores: [(class, count)], most first."""
    scores = np.asarray(scores)
    n_top = max(1, int(round(len(scores) * fraction)))
    top = np.argsort(-scores, kind="stable")[:n_top]
    names, counts = np.unique(np.asarray(class_names)[top], return_counts=True)
    order = np.argsort(-counts)[:k]
    return [(str(names[i]), int(counts[i])) for i in order]


def check_contamination(contamination) -> None:
    """The share of training rows a threshold may flag: a number in (0, 0.5)."""
    real_number("contamination", contamination, 0.0, 0.5, low_open=True, high_open=True)


def contamination_threshold(train_scores, contamination: float) -> float:
    """A decision threshold from *training* scores that flags at most ``contamination`` of them.

    It sits halfway between the ``1 − contamination`` quantile ``q`` and the next
    higher training score, so no training row lies on it: rows tied at ``q``
    (KDD99 has tens of thousands of identical ``smurf.`` records) are not
    flagged, and a score that differs from ``q`` by float rounding (another
    batch size, the exported graph) gets the same decision. Returned as a
    float32 value, the precision scores and the exported model use.
    """
    check_contamination(contamination)  # set_threshold after `det.contamination = ...`
    scores = np.asarray(train_scores, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0 or not np.all(np.isfinite(scores)):
        raise ValueError("training scores must be a non-empty 1-D array of finite values")
    q = float(np.quantile(scores, 1.0 - contamination))
    above = scores[scores > q]
    t = (q + float(above.min())) / 2.0 if len(above) else q + max(abs(q), 1.0) * 1e-6
    return float(np.float32(t))
