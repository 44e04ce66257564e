"""Security levels: per-person thresholds from a synthetic cohort whose score distribution is known."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from faceverify.errors import FaceverifyError
from faceverify.home.store import Store
from faceverify.verification.levels import (
    DEFAULT_LEVEL,
    LEVELS,
    chosen_level,
    cohort_threshold,
    level_named,
    person_threshold,
)
from faceverify.verification.rule import decide


def closeness(probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """A head whose score is 1 minus the mean absolute difference: the embeddings set the scores exactly."""
    return 1.0 - np.abs(np.asarray(probe) - np.asarray(gallery)).mean(axis=-1)


def test_a_normal_cohort_gives_its_known_quantile():
    scores = np.random.default_rng(0).standard_normal(400_000)
    for level in LEVELS.values():
        threshold = cohort_threshold(scores, level.far)
        assert threshold == pytest.approx(norm.ppf(1 - level.far), abs=0.03)
        assert np.mean(scores > threshold) <= level.far


def test_the_threshold_lets_exactly_the_allowed_share_pass():
    scores = np.arange(1000) / 1000  # 0.000 ... 0.999
    assert cohort_threshold(scores, 0.01) == pytest.approx(0.989)  # 0.990 ... 0.999 pass: 10 of 1,000
    assert cohort_threshold(scores, 0.001) == pytest.approx(0.998)  # 0.999 passes: 1 of 1,000
    assert cohort_threshold(np.full(50, 0.3), 0.01) == pytest.approx(0.3)  # ties: none passes


def _person(cohort_distances: np.ndarray, own_distances: np.ndarray, level: str = "standard"):
    """Gallery at 0; the cohort and the person's own anchors at known distances (so at known scores 1 - d)."""
    gallery = np.zeros((5, 4), np.float32)
    cohort = np.repeat(cohort_distances[:, None], 4, axis=1).astype(np.float32)
    anchors = np.repeat(own_distances[:, None], 4, axis=1).astype(np.float32)
    return person_threshold("Ada", LEVELS[level], 0.5, closeness, gallery, cohort, anchors)


def test_each_person_gets_the_threshold_the_cohort_allows_and_a_hard_person_a_stricter_one():
    rng = np.random.default_rng(1)
    far_away = rng.uniform(0.2, 1.0, 2000)  # scores 0 ... 0.8 against an easy person's gallery
    close = rng.uniform(0.05, 0.85, 2000)  # the same cohort sits closer to a hard person's gallery: 0.15 ... 0.95
    own = np.full(10, 0.01)  # the person's own images score 0.99
    easy, hard = _person(far_away, own), _person(close, own)
    assert easy.threshold == pytest.approx(0.8 - 0.8 * 0.01, abs=0.01)  # uniform: the top 1% lies above 0.792
    assert hard.threshold > easy.threshold + 0.1
    for found in (easy, hard):
        assert found.cohort_far <= 0.01 and found.cohort_faces == 2000
        assert found.own_frr == 0 and found.reachable and found.warning() is None
    assert _person(close, own, "high").threshold > hard.threshold  # a rarer stranger: a higher bar


def test_a_person_who_cannot_reach_the_level_is_warned():
    cohort = np.random.default_rng(2).uniform(0.0, 0.5, 1000)  # strangers score up to 1.0
    own = np.linspace(0.1, 0.4, 10)  # the person's own images score 0.6 to 0.9: most fall under the bar
    found = _person(cohort, own)
    assert found.own_frr > 0.5 and not found.reachable
    assert "cannot reach the standard level" in found.warning() and "enroll more" in found.warning()


def test_the_level_threshold_is_the_rules_own_cut():
    """A cohort face passes the app's rule at the person's threshold exactly as often as the cohort FAR says."""
    rng = np.random.default_rng(3)
    gallery, cohort = rng.random((6, 8)).astype(np.float32), rng.random((500, 8)).astype(np.float32)
    found = person_threshold("Ada", LEVELS["standard"], 0.5, closeness, gallery, cohort, gallery[:2])
    passed = [decide("Ada", closeness(face, gallery), found.threshold, 0.5, "v").verified for face in cohort]
    assert np.mean(passed) == pytest.approx(found.cohort_far) and found.cohort_far <= 0.01


def test_without_a_cohort_a_level_cannot_be_kept():
    with pytest.raises(FaceverifyError, match="no cohort"):
        person_threshold("Ada", LEVELS["high"], 0.5, closeness, np.zeros((3, 4)), np.zeros((0, 4)), np.zeros((0, 4)))


def test_the_level_round_trips_through_the_settings(tmp_path):
    store = Store(tmp_path / "home")
    assert chosen_level(store.load_settings()) == DEFAULT_LEVEL
    store.save_settings(security_level="high")
    assert chosen_level(Store(tmp_path / "home").load_settings()) == "high"
    with pytest.raises(FaceverifyError, match="security_level takes a str"):
        store.save_settings(security_level=3)  # writing a wrong type is refused
    store.settings_path.write_text('{"security_level": 3}')  # a hand-edited file of the wrong type counts as missing
    assert chosen_level(store.load_settings()) == DEFAULT_LEVEL
    store.settings_path.write_text('{"security_level": "paranoid"}')  # and so does an unknown level
    assert chosen_level(store.load_settings()) == DEFAULT_LEVEL
    assert level_named("custom") is None and level_named("high").far == 0.001
    with pytest.raises(FaceverifyError, match="Unknown security level 'paranoid'"):
        level_named("paranoid")
