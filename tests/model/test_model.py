"""The Siamese model: exact architecture, real 2x2 pooling, native save/load, atomic save, clear load errors."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from faceverify.errors import ModelError
from faceverify.model.network import L1Dist, embedding_of, load_model, make_embedding, make_siamese, save_model


@pytest.fixture(scope="module")
def siamese() -> keras.Model:
    return make_siamese()


def test_parameter_counts(siamese):
    assert embedding_of(siamese).count_params() == 38_960_448
    assert siamese.count_params() == 38_964_545


def test_layer_shapes():
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in make_embedding().layers}
    assert shapes == {
        "image": (100, 100, 3),
        "conv1": (91, 91, 64), "pool1": (46, 46, 64),
        "conv2": (40, 40, 128), "pool2": (20, 20, 128),
        "conv3": (17, 17, 128), "pool3": (9, 9, 128),
        "conv4": (6, 6, 256), "flatten": (9216,), "embedding_vector": (4096,),
    }


def test_pools_are_really_two_by_two(siamese):
    """The tutorial's MaxPooling2D(64, (2,2)) has the same output shape but pools 64x64 windows."""
    pools = [layer for layer in embedding_of(siamese).layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert len(pools) == 3
    x = np.arange(4 * 4, dtype=np.float32).reshape(1, 4, 4, 1)
    for pool in pools:
        assert tuple(pool.pool_size) == (2, 2) and tuple(pool.strides) == (2, 2)
        out = keras.layers.MaxPooling2D.from_config(pool.get_config())(x)
        np.testing.assert_array_equal(np.asarray(out)[0, :, :, 0], [[5, 7], [13, 15]])


def test_l1_distance_is_absolute_difference():
    a = np.array([[1.0, -2.0, 3.0]], np.float32)
    b = np.array([[4.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(np.asarray(L1Dist()(a, b)), [[3.0, 4.0, 0.0]])


def test_saved_model_loads_with_plain_keras_and_gives_same_scores(siamese, tmp_path):
    path = tmp_path / "model" / "siamese.keras"
    save_model(siamese, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["siamese.keras", "siamese.tflite"]  # no temporary left
    loaded = keras.models.load_model(path)  # no custom_objects: the L1 layer is registered
    x = np.random.default_rng(0).random((2, 100, 100, 3), np.float32)
    np.testing.assert_allclose(np.asarray(loaded([x, x[::-1]])), np.asarray(siamese([x, x[::-1]])), atol=1e-6)


def test_failed_save_keeps_the_previous_model(siamese, tmp_path, monkeypatch):
    path = tmp_path / "siamese.keras"
    path.write_bytes(b"previous model")

    def broken_save(self, filepath, *args, **kwargs):
        open(filepath, "wb").write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError):
        save_model(siamese, path)
    assert path.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["siamese.keras"]


def test_missing_and_damaged_models_raise_clear_errors(siamese, tmp_path):
    with pytest.raises(ModelError, match="No trained model yet"):
        load_model(tmp_path / "nothing.keras")
    path = tmp_path / "siamese.keras"
    save_model(siamese, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelError, match="damaged"):
        load_model(path)
