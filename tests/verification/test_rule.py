"""Saved thresholds: used when valid, the default otherwise (a hand-edited settings file must not break verify)."""
from __future__ import annotations

import numpy as np
import pytest

from faceverify.verification.rule import decide, deciding_scores, saved_threshold


@pytest.mark.parametrize("value, expected", [(0.7, 0.7), (0, 0.0), (1, 1.0), (1.5, 0.5), (-0.1, 0.5),
                                             (float("nan"), 0.5), ("0.7", 0.5), (True, 0.5), (None, 0.5)])
def test_saved_threshold(value, expected):
    assert saved_threshold({"detection_threshold": value}, "detection_threshold") == expected
    assert saved_threshold({}, "verification_threshold") == 0.5


def test_a_saved_choice_beats_the_calibrated_threshold_which_beats_the_default():
    calibrated = {"detection_threshold": 0.62}
    assert saved_threshold({"detection_threshold": 0.7}, "detection_threshold", calibrated) == 0.7
    assert saved_threshold({}, "detection_threshold", calibrated) == 0.62
    assert saved_threshold({"detection_threshold": "bad"}, "detection_threshold", {"detection_threshold": 2}) == 0.5


@pytest.mark.parametrize("comparisons", [1, 3, 7, 10])
@pytest.mark.parametrize("verification", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_the_deciding_score_passes_exactly_when_the_rule_verifies(comparisons, verification):
    scores = np.random.default_rng(comparisons).random((40, comparisons)).astype(np.float32)
    deciding = deciding_scores(scores, verification)
    for detection in (0.1, 0.4, 0.5, 0.77):
        verified = [decide("x", row, detection, verification, "").verified for row in scores]
        np.testing.assert_array_equal(verified, deciding > detection)
