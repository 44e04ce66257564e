"""The generic model that ships with faceverify, in the top-level ``assets/`` folder (package ``faceverify.assets``).

Trained once by us on LFW's View 1 training people, so that a new user can enroll and verify at once (one-shot)
and fine-tune from it. Stored compact: the 9216x4096 embedding layer as int8 with one scale per output unit,
the other weights as float16 (small ones as float32); about 40 MB instead of 156 MB. Beside it, a JSON of its
provenance (data, steps, time, figures, command), its calibrated thresholds and the weights' SHA-256.
"""
from __future__ import annotations

import hashlib
import io
import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from faceverify.errors import ModelError
from faceverify.files import atomic
from faceverify.files.inputs import load_json, read_file

WEIGHTS = "generic-model.npz"
PROVENANCE = "generic-model.json"
INT8_FROM = 1_000_000  # weights with at least this many values are stored as int8 (the embedding layer)
FLOAT16_FROM = 10_000  # ... at least this many as float16; smaller ones (biases, the head) as float32


def asset_dir() -> Path:
    """Where the shipped files are: the installed ``faceverify.assets`` package (``assets/`` in a checkout)."""
    return Path(str(resources.files("faceverify.assets")))


def compact(weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays to store for a model's weights (in ``get_weights()`` order)."""
    arrays: dict[str, np.ndarray] = {}
    for i, weight in enumerate(weights):
        if weight.size >= INT8_FROM and weight.ndim == 2:
            scale = np.maximum(np.abs(weight).max(axis=0), 1e-12) / 127.0  # one per output unit
            arrays[f"w{i}_int8"] = np.round(weight / scale).astype(np.int8)
            arrays[f"w{i}_scale"] = scale.astype(np.float32)
        elif weight.size >= FLOAT16_FROM:
            arrays[f"w{i}_float16"] = weight.astype(np.float16)
        else:
            arrays[f"w{i}_float32"] = weight.astype(np.float32)
    return arrays


def expand(arrays: dict[str, np.ndarray], count: int) -> list[np.ndarray]:
    """The float32 weights back from :func:`compact`'s arrays (KeyError where one is missing)."""
    weights = []
    for i in range(count):
        if f"w{i}_int8" in arrays:
            weights.append(arrays[f"w{i}_int8"].astype(np.float32) * arrays[f"w{i}_scale"])
        elif f"w{i}_float16" in arrays:
            weights.append(arrays[f"w{i}_float16"].astype(np.float32))
        else:
            weights.append(arrays[f"w{i}_float32"].astype(np.float32))
    return weights


def save(model, folder: Path, provenance: dict) -> Path:
    """Write a model as the shipped pair of files (weights, then provenance with their hash), atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **compact(model.get_weights()))
    data = buffer.getvalue()
    atomic.write_bytes(Path(folder) / WEIGHTS, data)
    record = provenance | {"weights_sha256": hashlib.sha256(data).hexdigest(), "weights_bytes": len(data)}
    atomic.write_text(Path(folder) / PROVENANCE, json.dumps(record, indent=2))
    return Path(folder) / WEIGHTS


def provenance(folder: Path | None = None) -> dict:
    """The shipped model's provenance record; ModelError when it is missing or unreadable."""
    return _provenance(str(Path(folder or asset_dir())))


PROVENANCE_SCHEMA = {
    "type": "object", "required": ["weights_sha256"],
    "properties": {"weights_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "weights_bytes": {"type": "integer", "minimum": 1},
                   "calibration": {"type": "object", "properties": {
                       "detection_threshold": {"type": "number", "minimum": 0, "maximum": 1},
                       "verification_threshold": {"type": "number", "minimum": 0, "maximum": 1}}}},
}


@cache
def _provenance(folder: str) -> dict:
    """Read once per folder: the installed files do not change while faceverify runs, and every verification asks
    for the version of the model in use (an error is not cached: a fixed install is read again)."""
    path = Path(folder) / PROVENANCE
    try:
        return load_json(path, str(path), PROVENANCE_SCHEMA, ModelError)
    except ModelError as error:
        raise ModelError(f"The shipped generic model is missing or damaged ({error}): reinstall faceverify, "
                         "or train a model of your own") from None


def available() -> bool:
    """Whether a shipped model is installed (its files are present; their content is checked when loaded)."""
    try:
        provenance()
    except ModelError:
        return False
    return (asset_dir() / WEIGHTS).is_file()


def version() -> str | None:
    """The shipped model's version (from its weights' hash), or None without a usable description."""
    try:
        return "shipped-" + provenance()["weights_sha256"][:16]
    except ModelError:
        return None


def calibration() -> dict:
    """The shipped model's calibrated thresholds ({} without them)."""
    try:
        record = provenance().get("calibration")
    except ModelError:
        return {}
    return record if isinstance(record, dict) else {}


def load(folder: Path | None = None):
    """The shipped model as a float32 Siamese model; ModelError (one clear line) when it is missing or damaged."""
    return _load(str(Path(folder or asset_dir())))


@cache
def _load(folder: str):
    from faceverify.model.network import make_siamese

    model = make_siamese()
    try:
        model.set_weights(weights(Path(folder)))
    except ValueError:
        raise ModelError(f"{Path(folder) / WEIGHTS} is not a faceverify model: reinstall faceverify") from None
    return model


def weights(folder: Path | None = None) -> list[np.ndarray]:
    """The shipped model's float32 weights in ``get_weights()`` order, without TensorFlow; ModelError (one clear
    line) when they are missing or damaged."""
    folder = Path(folder or asset_dir())
    record = provenance(folder)
    path = folder / WEIGHTS
    try:
        data = read_file(path, "model", ModelError)
    except ModelError as error:
        raise ModelError(f"The shipped generic model is missing or unreadable ({error}): "
                         "reinstall faceverify") from None
    if hashlib.sha256(data).hexdigest() != record["weights_sha256"]:
        raise ModelError(f"The shipped generic model {path} is damaged (its checksum does not match): "
                         "reinstall faceverify")
    try:
        with np.load(io.BytesIO(data)) as arrays:
            stored = dict(arrays)
        return expand(stored, sum(not key.endswith("_scale") for key in stored))
    except (KeyError, ValueError, OSError):
        raise ModelError(f"{path} is not a faceverify model: reinstall faceverify") from None
