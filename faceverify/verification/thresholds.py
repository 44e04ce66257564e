"""The thresholds a home decides with: a security level's (per person, see levels.py), or the user's saved choice,
else the model's calibrated one, else the seed's."""
from __future__ import annotations

from faceverify.home.store import Store
from faceverify.model.current import calibrated_thresholds
from faceverify.verification.levels import Level, chosen_level, level_named
from faceverify.verification.rule import saved_threshold


def threshold(store: Store, key: str) -> float:
    """``key`` ("detection_threshold" or "verification_threshold") for the model ``store`` decides with."""
    return saved_threshold(store.load_settings(), key, calibrated_thresholds(store))


def decision_thresholds(store: Store, detection: float | None = None, verification: float | None = None,
                        level: str | None = None) -> tuple[float | Level, float]:
    """(detection, verification) for a decision: a detection threshold given is used as is (custom); else the
    level given or saved, whose per-person threshold the verifier sets; the custom level: the saved or calibrated
    one. FaceverifyError for an unknown level."""
    if verification is None:
        verification = threshold(store, "verification_threshold")
    if detection is not None:
        return detection, verification
    chosen = level_named(level or chosen_level(store.load_settings()))
    return (chosen if chosen is not None else threshold(store, "detection_threshold")), verification
