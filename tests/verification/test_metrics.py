"""Verification metrics: hand-worked cases, brute-force cross-checks, and the saved report."""
from __future__ import annotations

import json
import math
import stat
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from faceverify.verification.metrics import Report, best_threshold, evaluate_scores, roc_curve, save_report

# Hand-worked: accepting score > 0.5 takes 0.9, 0.8, 0.7, 0.6 -> 3 true accepts, 1 false accept (0.7),
# 2 true rejects. AUC: of the 9 (positive, negative) pairs only (0.6, 0.7) is misordered -> 8/9.
# EER: accepting > 0.6 gives FAR 1/3 (0.7) and FRR 1/3 (0.6).
SCORES = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3])
LABELS = np.array([1, 1, 0, 1, 0, 0])


def _brute_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    positive, negative = scores[labels == 1][:, None], scores[labels == 0][None, :]
    return float(np.mean((positive > negative) + 0.5 * (positive == negative)))


def _gaussians(n: int = 400, seed: int = 0, rounding: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(0.6, 0.15, n), rng.normal(0.4, 0.15, n)]
    return (scores if rounding is None else scores.round(rounding)), np.r_[np.ones(n), np.zeros(n)]


def test_hand_worked_case() -> None:
    report = evaluate_scores(SCORES, LABELS)
    assert report.to_dict() == pytest.approx({
        "accuracy": 5 / 6, "precision": 3 / 4, "recall": 1.0, "threshold": 0.5, "roc_auc": 8 / 9,
        "eer": 1 / 3, "eer_threshold": 0.6, "n_positive": 3, "n_negative": 3, "far": 1 / 3, "frr": 0.0})


def test_threshold_is_strict() -> None:
    report = evaluate_scores([0.5, 0.5, 0.2], [1, 0, 0], threshold=0.5)
    assert (report.recall, report.far, report.accuracy) == (0.0, 0.0, 2 / 3)


def test_perfect_and_reversed() -> None:
    perfect = evaluate_scores([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])
    assert (perfect.roc_auc, perfect.eer, perfect.accuracy, perfect.far, perfect.frr) == (1.0, 0.0, 1.0, 0.0, 0.0)
    reversed_ = evaluate_scores([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])
    assert (reversed_.roc_auc, reversed_.eer, reversed_.precision) == (0.0, 1.0, 0.0)


def test_ties() -> None:
    assert evaluate_scores([0.5] * 4, [1, 0, 1, 0]).roc_auc == 0.5
    scores, labels = np.array([0.7, 0.7, 0.7, 0.2]), np.array([1, 0, 0, 1])
    assert evaluate_scores(scores, labels).roc_auc == _brute_auc(scores, labels) == 0.25
    fpr, tpr, thresholds = roc_curve(scores, labels)  # the tied group moves as one: no (0, 0.5) point
    assert fpr.tolist() == [0.0, 1.0, 1.0] and tpr.tolist() == [0.0, 0.5, 1.0]
    assert thresholds[0] == 0.7 and thresholds[1] == 0.2 and thresholds[2] < 0.2


def test_roc_thresholds_reproduce_their_points() -> None:
    scores, labels = _gaussians(100, seed=3, rounding=1)
    for fpr, tpr, threshold in zip(*roc_curve(scores, labels)):
        report = evaluate_scores(scores, labels, threshold)
        assert (report.far, 1 - report.frr) == pytest.approx((fpr, tpr))


def test_auc_matches_brute_force_and_trapezoid() -> None:
    for rounding in (None, 2):  # distinct scores, then many ties
        scores, labels = _gaussians(rounding=rounding)
        auc = evaluate_scores(scores, labels).roc_auc
        fpr, tpr, _ = roc_curve(scores, labels)
        assert auc == pytest.approx(_brute_auc(scores, labels))
        assert auc == pytest.approx(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def test_auc_matches_sklearn_if_installed() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    scores, labels = _gaussians(rounding=2)
    assert evaluate_scores(scores, labels).roc_auc == pytest.approx(metrics.roc_auc_score(labels, scores))


def test_eer_is_where_far_meets_frr() -> None:
    scores, labels = _gaussians(2000, seed=1)
    report = evaluate_scores(scores, labels)
    at_eer = evaluate_scores(scores, labels, report.eer_threshold)
    assert at_eer.far == pytest.approx(report.eer, abs=2e-3)
    assert at_eer.frr == pytest.approx(report.eer, abs=2e-3)
    assert 0.2 < report.eer < 0.3  # means 0.2 apart, spread 0.15: EER = Phi(-0.1 / 0.15), about 25%


def test_best_threshold() -> None:
    assert 0.3 < best_threshold([0.9, 0.8, 0.3, 0.1, 0.2], [1, 1, 0, 0, 0]) < 0.8
    scores, labels = _gaussians(2000, seed=2)
    assert best_threshold(scores, labels) == pytest.approx(0.5, abs=0.05)  # midway between the means
    with pytest.raises(ValueError, match="both"):
        best_threshold([0.9, 0.8], [1, 1])


def test_degenerate_inputs() -> None:
    only_same = evaluate_scores([0.9, 0.4], [1, 1])
    assert math.isnan(only_same.roc_auc) and math.isnan(only_same.eer) and math.isnan(only_same.far)
    assert (only_same.accuracy, only_same.recall, only_same.frr, only_same.n_negative) == (0.5, 0.5, 0.5, 0)
    only_different = evaluate_scores([0.1, 0.2], [0, 0])
    assert only_different.precision == 0.0 and math.isnan(only_different.recall)
    for scores, labels in [([], []), ([0.1, 0.2], [1]), ([0.1, np.nan], [1, 0]), ([0.1, 0.2], [1, 2])]:
        with pytest.raises(ValueError):
            evaluate_scores(scores, labels)


def test_save_report(tmp_path: Path) -> None:
    scores, labels = _gaussians(200)
    report = evaluate_scores(scores, labels)
    json_path, png_path = save_report(report, scores, labels, tmp_path / "results", "lfw_dev_test")
    assert (json_path.name, png_path.name) == ("lfw_dev_test.json", "lfw_dev_test_roc.png")
    assert json.loads(json_path.read_text()) == pytest.approx(report.to_dict())
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(png_path).shape[:2] == (500, 500)
    assert {stat.S_IMODE(path.stat().st_mode) for path in (json_path, png_path)} == {0o600}
    assert sorted(path.name for path in (tmp_path / "results").iterdir()) == [json_path.name, png_path.name]


def test_save_report_of_one_class_writes_null(tmp_path: Path) -> None:
    report = evaluate_scores([0.9, 0.4], [1, 1])
    json_path, png_path = save_report(report.to_dict(), [0.9, 0.4], [1, 1], tmp_path, "one_class")
    saved = json.loads(json_path.read_text())
    assert saved["roc_auc"] is None and saved["eer"] is None and saved["accuracy"] == 0.5
    assert Report(**saved).n_positive == 2 and png_path.stat().st_size > 0
    with pytest.raises(ValueError):
        save_report(report, [0.9, 0.4], [1, 1], tmp_path, "../escape")
