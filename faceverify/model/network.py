"""The Siamese network: embedding CNN, L1 distance layer, sigmoid head; atomic save, checked load."""
from __future__ import annotations

from pathlib import Path

# isort: off
from faceverify.model.tfruntime import tf  # noqa: F401  (loads TensorFlow quietly before Keras does)
import keras
from keras import layers, ops

# isort: on
from faceverify.errors import ModelError
from faceverify.faces.pipeline import CROP_SIZE
from faceverify.files import atomic
from faceverify.files.digest import content_digest
from faceverify.model import export
from faceverify.model.precision import FLOAT32, compute_policy, runtime_precision

INPUT_SHAPE = (CROP_SIZE, CROP_SIZE, 3)
EMBEDDING_SIZE = 4096


@keras.saving.register_keras_serializable(package="faceverify")
class L1Dist(layers.Layer):
    """Element-wise absolute difference of two embeddings: |e1 - e2|."""

    def call(self, first, second):
        return ops.abs(first - second)


def make_embedding(policy: str = FLOAT32) -> keras.Model:
    """Conv 64@10x10 -> pool -> Conv 128@7x7 -> pool -> Conv 128@4x4 -> pool -> Conv 256@4x4 -> Dense 4096.

    ``policy`` is the convolutions' dtype policy (see :mod:`precision`); the Dense layers always compute in float32.
    """
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = layers.Conv2D(64, 10, activation="relu", name="conv1", dtype=policy)(inputs)
    x = layers.MaxPooling2D(2, strides=2, padding="same", name="pool1", dtype=policy)(x)
    x = layers.Conv2D(128, 7, activation="relu", name="conv2", dtype=policy)(x)
    x = layers.MaxPooling2D(2, strides=2, padding="same", name="pool2", dtype=policy)(x)
    x = layers.Conv2D(128, 4, activation="relu", name="conv3", dtype=policy)(x)
    x = layers.MaxPooling2D(2, strides=2, padding="same", name="pool3", dtype=policy)(x)
    x = layers.Conv2D(256, 4, activation="relu", name="conv4", dtype=policy)(x)
    x = layers.Flatten(name="flatten", dtype=policy)(x)
    outputs = layers.Dense(EMBEDDING_SIZE, activation="sigmoid", name="embedding_vector", dtype=FLOAT32)(x)
    return keras.Model(inputs, outputs, name="embedding")


def make_siamese(policy: str = FLOAT32) -> keras.Model:
    """Two images -> shared embedding -> L1 distance -> Dense(1, sigmoid): the probability they match."""
    embedding = make_embedding(policy)
    anchor = keras.Input(INPUT_SHAPE, name="anchor")
    other = keras.Input(INPUT_SHAPE, name="other")
    distance = L1Dist(name="distance")(embedding(anchor), embedding(other))
    score = layers.Dense(1, activation="sigmoid", name="classifier")(distance)
    return keras.Model([anchor, other], score, name="siamese")


def with_policy(model: keras.Model, policy: str) -> keras.Model:
    """A twin of a Siamese model with the same (float32) weights whose convolutions compute under ``policy``."""
    twin = make_siamese(policy)
    twin.set_weights(model.get_weights())
    return twin


def for_inference(model: keras.Model) -> keras.Model:
    """The model to score with: its bfloat16 twin where the CPU computes bfloat16 natively (twice as fast; on the
    View 1 test pairs not one decision of the shipped model changed), else the model itself."""
    policy = compute_policy()
    return model if policy == FLOAT32 else with_policy(model, policy)


def embedding_of(siamese: keras.Model) -> keras.Model:
    """The shared embedding network inside a Siamese model."""
    return siamese.get_layer("embedding")


def classifier_of(siamese: keras.Model) -> layers.Dense:
    """The final Dense(1, sigmoid) layer."""
    return siamese.get_layer("classifier")


def save_model(model: keras.Model, path: Path) -> None:
    """Save in Keras' native format, then its runtime model beside it (:mod:`runtime`), each atomically: readers
    see the old model or the new, never half (and an export that does not match its ``.keras`` is made again)."""
    atomic.remove_stale_temporaries(Path(path))  # 150 MB copies left by a killed save
    with atomic.atomic_path(Path(path)) as tmp:
        model.save(tmp)
    save_export(model, path)


def save_export(model: keras.Model, path: Path) -> Path:
    """Write the runtime model of ``model``, saved at ``path``, beside it (``.tflite``)."""
    source = export.keras_source(path, content_digest(path))
    return export.write(model.get_weights(), export.export_path(path), source, runtime_precision())


def load_model(path: Path) -> keras.Model:
    """Load a saved Siamese model, or raise ModelError with what to do about it."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(
            f"No trained model yet ({path} does not exist): enroll a person, import negatives and train first"
        )
    try:
        model = keras.models.load_model(path, compile=False)
        embedding_of(model), classifier_of(model)
    except Exception as exc:  # Keras raises many types for a damaged zip or a foreign model
        raise ModelError(
            f"The model file {path} is damaged or not a faceverify model ({type(exc).__name__}); train again"
        ) from None
    return model
