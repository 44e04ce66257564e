"""The thresholds a home decides with: the user's saved choice, else the model's calibrated one, else the seed's."""
from __future__ import annotations

from faceverify.home.store import Store
from faceverify.model.current import calibrated_thresholds
from faceverify.verification.rule import saved_threshold


def threshold(store: Store, key: str) -> float:
    """``key`` ("detection_threshold" or "verification_threshold") for the model ``store`` decides with."""
    return saved_threshold(store.load_settings(), key, calibrated_thresholds(store))
