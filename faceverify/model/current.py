"""The model a home decides with: its own trained model, else the shipped generic model; its version and calibration.

This is the one place that knows which model is "current": the home (``home/store.py``) only knows where the files
are, and the shipped model (``shipped.py``) knows nothing of homes.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from faceverify.errors import FaceverifyError, ModelError
from faceverify.files import atomic
from faceverify.files.digest import content_digest, file_stamp, remember
from faceverify.files.inputs import load_json
from faceverify.home.store import Store
from faceverify.model import shipped

if TYPE_CHECKING:
    import keras


CALIBRATION_SCHEMA = {
    "type": "object", "required": ["detection_threshold", "model_version", "model_stamp"],
    "properties": {
        "detection_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "verification_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "model_version": {"type": "string", "maxLength": 128},
        "model_stamp": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "validation": {"type": "object", "properties": {
            "eer": {"type": "number"}, "n_positive": {"type": "integer"}, "n_negative": {"type": "integer"}}},
    },
}


def model_version(store: Store) -> str | None:
    """The model in use's version: a digest of the home's model file's content (a copied home has the same),
    else the shipped generic model's; None when there is neither."""
    if not store.has_own_model():
        return shipped.version()
    return content_digest(store.model_path)


def model_trained(store: Store) -> str:
    """When the home's own model was trained (its file's time, UTC, ISO-8601), or "" without one (the shipped model
    is named as such)."""
    try:
        stamp = store.model_path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def save_calibration(store: Store, calibration: dict | None) -> None:
    """Record the home's model's calibrated thresholds (None: it has none), replacing the user's choice.

    A new model's scores mean something new, so thresholds chosen for the previous one are dropped.
    """
    if calibration is None:
        store.calibration_path.unlink(missing_ok=True)
    else:
        atomic.write_text(store.calibration_path, calibration_record(calibration, store.model_path))
    store.save_settings(detection_threshold=None, verification_threshold=None)


def calibration_record(calibration: dict, model_file: Path) -> str:
    """The calibration file's text for the model saved at ``model_file``: its thresholds, with the model's content
    digest and stamp (a rename keeps both, so a model staged and then moved into place keeps its calibration)."""
    record = calibration | {"model_version": content_digest(model_file), "model_stamp": file_stamp(model_file)}
    return json.dumps(record, indent=2)


def calibrated_thresholds(store: Store) -> dict:
    """The thresholds calibrated for the model in use, or {} when there are none (or they are stale)."""
    if not store.has_own_model():
        return shipped.calibration()
    try:
        record = load_json(store.calibration_path, str(store.calibration_path), CALIBRATION_SCHEMA)
    except (FaceverifyError, OSError):  # missing or damaged: no calibrated thresholds (the defaults apply)
        return {}
    stamp, version = record.get("model_stamp"), record.get("model_version")
    if isinstance(stamp, list) and tuple(stamp) == file_stamp(store.model_path) and isinstance(version, str):
        remember(store.model_path, stamp, version)  # the model it was calibrated for, still unchanged: no hashing
    return record if version == model_version(store) else {}


def load_current(store: Store) -> keras.Model:
    """The model a home verifies with: its own, else the shipped generic model (ModelError if neither loads)."""
    from faceverify.model.network import load_model  # TensorFlow: only when a model is really loaded

    if store.has_own_model():
        return load_model(store.model_path)
    if not shipped.available():
        raise ModelError("No model yet, and the shipped generic model is missing: reinstall faceverify, "
                         "or enroll a person, import negatives and train")
    return shipped.load()
