"""The seed's decision rule, and its thresholds (no TensorFlow here, so any face of the app can import it).

A comparison counts when its score passes the detection threshold; the person is verified when the
share of counted comparisons passes the verification threshold. "Passes" is strictly greater.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DETECTION_THRESHOLD = 0.5
VERIFICATION_THRESHOLD = 0.5
CUSTOM_LEVEL = "custom"  # the security level of thresholds set by hand (see levels.py for the named ones)
THRESHOLD_SETTINGS = {"detection_threshold": DETECTION_THRESHOLD, "verification_threshold": VERIFICATION_THRESHOLD}


def saved_threshold(settings: dict, key: str, calibrated: dict | None = None) -> float:
    """A threshold from the saved settings, else the model's calibrated one, else the seed's default.

    A value that is not a number in [0, 1] counts as missing.
    """
    for source in (settings, calibrated or {}):
        value = source.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value)
    return THRESHOLD_SETTINGS[key]


def calibration_text(calibration: dict | None, separator: str = "; ") -> str:
    """How a training's calibration reads to a user: the saved threshold and the validation error behind it."""
    if not calibration:
        return ""
    validation = calibration["validation"]
    return (f"{separator}detection threshold {calibration['detection_threshold']:.3f} saved with the model "
            f"(equal error rate {validation['eer']:.3f} on {validation['n_positive']} + {validation['n_negative']} "
            "validation pairs)")


@dataclass(frozen=True)
class Decision:
    """The seed's rule applied to one person: share of comparisons whose score passes the detection threshold."""

    person: str
    verified: bool
    share: float
    mean_score: float
    comparisons: int
    detection_threshold: float
    verification_threshold: float
    model_version: str
    scores: np.ndarray = field(repr=False, compare=False)
    level: str = CUSTOM_LEVEL  # the security level that set the detection threshold, or custom


def deciding_scores(scores: np.ndarray, verification_threshold: float) -> np.ndarray:
    """Per probe (row of ``scores``), the score that decides it: verified exactly when this passes the detection
    threshold. It is the m-th highest comparison, m = floor(verification_threshold * comparisons) + 1, because
    the share of comparisons above t passes the verification threshold exactly when m of them are above t.
    """
    scores = np.atleast_2d(np.asarray(scores, np.float32))
    needed = int(np.floor(verification_threshold * scores.shape[1])) + 1
    if needed > scores.shape[1]:
        return np.full(len(scores), -np.inf, np.float32)
    return -np.partition(-scores, needed - 1, axis=1)[:, needed - 1]


def decide(person: str, scores: np.ndarray, detection_threshold: float, verification_threshold: float,
           version: str, level: str = CUSTOM_LEVEL) -> Decision:
    """Verified when the share of scores above ``detection_threshold`` is above ``verification_threshold``."""
    scores = np.asarray(scores, np.float32)
    scores = scores.reshape(len(scores), -1) if scores.ndim > 1 else scores.reshape(1, -1)
    return decide_each([(person, 0, scores.shape[1], detection_threshold, level)], scores, verification_threshold,
                       version)[0]


def decide_each(people: list[tuple[str, int, int, float, str]], scores: np.ndarray, verification_threshold: float,
                version: str) -> list[Decision]:
    """:func:`decide` for many people in one pass: each of ``people`` is (name, start, stop, detection threshold,
    level), their comparisons the columns start:stop of ``scores`` (probes, columns)."""
    scores = np.asarray(scores, np.float32)
    columns = np.full(scores.shape[1], np.inf, np.float32)  # each column's person's detection threshold
    for _, start, stop, detection, _ in people:
        columns[start:stop] = detection
    passed = np.count_nonzero(scores > columns, axis=0)  # per column, over the probes
    totals = scores.sum(axis=0, dtype=np.float64)
    cumulative = np.concatenate([[0], np.cumsum(passed)]), np.concatenate([[0.0], np.cumsum(totals)])
    decisions = []
    for person, start, stop, detection, level in people:
        size = (stop - start) * len(scores)
        share = float(cumulative[0][stop] - cumulative[0][start]) / size if size else 0.0
        mean = float(cumulative[1][stop] - cumulative[1][start]) / size if size else 0.0
        decisions.append(Decision(person, share > verification_threshold, share, mean, size, detection,
                                  verification_threshold, version, scores[:, start:stop].reshape(-1), level))
    return decisions
