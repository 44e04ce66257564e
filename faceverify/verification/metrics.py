"""Verification metrics over similarity scores (a pair is accepted when its score > threshold), and their report.

Labels are 1 (same person) or 0 (different people). FAR is the share of different-person pairs accepted, FRR
the share of same-person pairs rejected; a rate over a class that has no pairs is NaN.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from faceverify.files import atomic


@dataclass(kw_only=True)
class Report:
    """Verification figures at ``threshold``, plus the threshold-free ROC AUC and equal error rate."""

    accuracy: float
    precision: float
    recall: float
    threshold: float = 0.5
    roc_auc: float
    eer: float
    eer_threshold: float
    n_positive: int
    n_negative: int
    far: float
    frr: float

    def to_dict(self) -> dict[str, float | int]:
        """The fields by name (NaN stays NaN; ``save_report`` writes it as null)."""
        return asdict(self)


def evaluate_scores(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> Report:
    """Accuracy, precision, recall, FAR and FRR at ``score > threshold``; ROC AUC and EER over all thresholds."""
    scores, positive = _validated(scores, labels)
    accepted = scores > threshold
    true_accepts = int(np.sum(accepted & positive))
    false_accepts = int(np.sum(accepted & ~positive))
    n_positive, n_negative = int(positive.sum()), int((~positive).sum())
    fpr, tpr, thresholds = roc_curve(scores, positive)
    eer, eer_threshold = _equal_error(fpr, tpr, thresholds)
    return Report(
        accuracy=float(np.mean(accepted == positive)),
        precision=true_accepts / int(accepted.sum()) if accepted.any() else 0.0,
        recall=_ratio(true_accepts, n_positive),
        threshold=float(threshold),
        roc_auc=_roc_auc(scores, positive),
        eer=eer,
        eer_threshold=eer_threshold,
        n_positive=n_positive,
        n_negative=n_negative,
        far=_ratio(false_accepts, n_negative),
        frr=_ratio(n_positive - true_accepts, n_positive),
    )


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, tpr, thresholds)`` from (0, 0) to (1, 1), one point per distinct score (ties move together).

    Accepting ``score > thresholds[k]`` gives exactly ``(fpr[k], tpr[k])``; thresholds decrease, the last lies
    just below the lowest score. A rate over an absent class is NaN.
    """
    scores, positive = _validated(scores, labels)
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order]
    group_ends = np.r_[ranked[1:] != ranked[:-1], True]
    tps = np.r_[0, np.cumsum(hits)[group_ends]]
    fps = np.r_[0, np.cumsum(~hits)[group_ends]]
    thresholds = np.r_[ranked[group_ends], np.nextafter(ranked[-1], -np.inf)]
    return _rates(fps, fps[-1]), _rates(tps, tps[-1]), thresholds


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold maximising balanced accuracy, in the middle of the score gap it falls in (for calibration)."""
    fpr, tpr, thresholds = roc_curve(scores, labels)
    if np.isnan(fpr[0]) or np.isnan(tpr[0]):
        raise ValueError("best_threshold needs both same-person and different-person pairs")
    k = int(np.argmax(tpr - fpr))
    if k == 0:
        return float(thresholds[0])
    middle = (thresholds[k] + thresholds[k - 1]) / 2
    return float(middle if middle < thresholds[k - 1] else thresholds[k])


def save_report(report: Report | dict, scores: np.ndarray, labels: np.ndarray, folder: Path,
                name: str) -> tuple[Path, Path]:
    """Write ``folder/<name>.json`` (the report, NaN as null) and ``folder/<name>_roc.png``, atomically, mode 0600."""
    if not name or Path(name).name != name:
        raise ValueError(f"not a plain file name: {name!r}")
    values = report.to_dict() if isinstance(report, Report) else dict(report)
    json_path, png_path = Path(folder) / f"{name}.json", Path(folder) / f"{name}_roc.png"
    safe = {key: None if isinstance(value, float) and math.isnan(value) else value for key, value in values.items()}
    atomic.write_text(json_path, json.dumps(safe, indent=2, allow_nan=False) + "\n")
    atomic.write_bytes(png_path, _roc_png(scores, labels, name))
    return json_path, png_path


def _roc_png(scores: np.ndarray, labels: np.ndarray, title: str) -> bytes:
    """The ROC curve with its AUC, the chance diagonal and the EER point, as PNG bytes (Agg, no pyplot)."""
    fpr, tpr, thresholds = roc_curve(scores, labels)
    eer, _ = _equal_error(fpr, tpr, thresholds)
    figure = Figure(figsize=(5, 5), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, label=f"ROC (AUC = {_roc_auc(*_validated(scores, labels)):.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.plot([eer], [1 - eer], marker="o", color="red", linestyle="none", label=f"EER = {eer:.3f}")
    axes.set(xlim=(0, 1), ylim=(0, 1), title=title,
             xlabel="False accept rate (FAR)", ylabel="True accept rate (1 - FRR)")
    axes.legend(loc="lower right")
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def _validated(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores as a finite float vector and labels as a boolean one of the same, non-zero length."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    if scores.ndim != 1 or scores.shape != labels.shape or not scores.size:
        raise ValueError(f"need two non-empty vectors of one length, got shapes {scores.shape} and {labels.shape}")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite")
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError("labels must be 0 or 1")
    return scores, labels.astype(bool)


def _roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney U / (positives x negatives), tied scores counting a half: the ROC curve's area."""
    n_positive, n_negative = int(positive.sum()), int((~positive).sum())
    if not n_positive or not n_negative:
        return math.nan
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    mean_ranks = (np.cumsum(counts) - (counts - 1) / 2)[group]
    u = mean_ranks[positive].sum() - n_positive * (n_positive + 1) / 2
    return float(u / (n_positive * n_negative))


def _equal_error(fpr: np.ndarray, tpr: np.ndarray, thresholds: np.ndarray) -> tuple[float, float]:
    """``(eer, threshold)`` where FAR = FRR, interpolated linearly between the two ROC points around it."""
    gap = fpr - (1 - tpr)  # FAR - FRR: rises from -1 at (0, 0) to 1 at (1, 1)
    if np.isnan(gap[0]):
        return math.nan, math.nan
    k = int(np.argmax(gap >= 0))
    if gap[k] == 0:
        return float(fpr[k]), float(thresholds[k])
    step = -gap[k - 1] / (gap[k] - gap[k - 1])
    return (float(fpr[k - 1] + step * (fpr[k] - fpr[k - 1])),
            float(thresholds[k - 1] + step * (thresholds[k] - thresholds[k - 1])))


def _ratio(count: int, total: int) -> float:
    return count / total if total else math.nan


def _rates(counts: np.ndarray, total: int) -> np.ndarray:
    return counts / total if total else np.full(counts.shape, math.nan)
