"""The shipped generic model: compact storage, loading, clear errors when it is missing or damaged, one-shot use."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from faceverify.errors import ModelError
from faceverify.model import shipped


def test_compact_weights_round_trip_within_their_precision():
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.02, (1200, 1000)).astype(np.float32),  # int8, one scale per column
               rng.normal(0, 0.1, (10, 10, 3, 64)).astype(np.float32),  # float16
               rng.normal(0, 0.1, (64,)).astype(np.float32)]  # float32
    arrays = shipped.compact(weights)
    assert arrays["w0_int8"].dtype == np.int8 and arrays["w1_float16"].dtype == np.float16
    back = shipped.expand(arrays, 3)
    column_step = np.abs(weights[0]).max(axis=0) / 127
    assert np.all(np.abs(back[0] - weights[0]) <= column_step / 2 + 1e-9)
    assert np.allclose(back[1], weights[1], rtol=1e-3, atol=1e-4)
    assert np.array_equal(back[2], weights[2])


def test_the_shipped_model_loads_with_its_provenance_and_thresholds():
    assert shipped.available()
    model = shipped.load()
    assert model.count_params() == 38_964_545
    record = shipped.provenance()
    assert shipped.version() == "shipped-" + record["weights_sha256"][:16]
    assert (shipped.asset_dir() / shipped.WEIGHTS).stat().st_size <= 50_000_000
    calibration = shipped.calibration()
    assert 0 < calibration["detection_threshold"] < 1 and 0 < calibration["verification_threshold"] < 1


@pytest.fixture
def copied_assets(tmp_path):
    folder = tmp_path / "assets"
    folder.mkdir()
    for name in (shipped.WEIGHTS, shipped.PROVENANCE):
        shutil.copyfile(shipped.asset_dir() / name, folder / name)
    return folder


def test_damaged_shipped_weights_are_one_clear_error(copied_assets):
    path = copied_assets / shipped.WEIGHTS
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged .its checksum does not match"):
        shipped.load(copied_assets)


def test_foreign_weights_with_a_matching_checksum_are_refused(copied_assets):
    import hashlib
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, w0_float32=np.zeros(3, np.float32))
    (copied_assets / shipped.WEIGHTS).write_bytes(buffer.getvalue())
    record = json.loads((copied_assets / shipped.PROVENANCE).read_text())
    record["weights_sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (copied_assets / shipped.PROVENANCE).write_text(json.dumps(record))
    with pytest.raises(ModelError, match="is not a faceverify model"):
        shipped.load(copied_assets)


def test_a_missing_or_unreadable_description_is_one_clear_error(copied_assets):
    (copied_assets / shipped.PROVENANCE).write_text("{not json")
    with pytest.raises(ModelError, match="missing or damaged"):
        shipped.load(copied_assets)
    (copied_assets / shipped.PROVENANCE).unlink()
    with pytest.raises(ModelError, match="missing or damaged"):
        shipped.load(copied_assets)
