"""A fresh Siamese model whose scores are spread out, for tests that need known, well-separated scores."""
from __future__ import annotations

import keras
import numpy as np

from faceverify.faces.pipeline import to_input
from faceverify.model.network import classifier_of, embedding_of, make_siamese

EMBEDDING_GAIN = 20.0  # a fresh embedding's outputs all sit near 0.5; this spreads them over (0, 1)


def calibrated_siamese(crops: np.ndarray, seed: int, identical_only: bool = False) -> keras.Model:
    """A fresh Siamese model with weights set so that the scores of ``crops``' pairs are far from 0.5.

    The last embedding layer's kernel is scaled so that embeddings spread over (0, 1) instead of all sitting
    near 0.5. By default the classifier gets a random-normal kernel and a bias scaled so that the distinct
    pairs of ``crops`` score from about sigmoid(-2) to sigmoid(2) (10th to 90th percentile), and a mix-up of
    weights would show. With ``identical_only`` the kernel is -c*u (u random in [0.5, 1.5]): a crop scores
    sigmoid(6) against itself and every distinct pair of ``crops`` below sigmoid(-6).
    """
    keras.utils.set_random_seed(seed)
    model = make_siamese()
    embedding = embedding_of(model)
    dense = embedding.get_layer("embedding_vector")
    dense.kernel.assign(dense.kernel.numpy() * EMBEDDING_GAIN)
    rng = np.random.default_rng(seed)
    vectors = np.asarray(embedding(to_input(crops), training=False))
    first, second = np.triu_indices(len(crops), 1)
    differences = np.abs(vectors[first] - vectors[second])
    if identical_only:
        kernel = -rng.uniform(0.5, 1.5, vectors.shape[1])
        closest = -(differences @ kernel).max()
        assert closest > 1.0, "two of the crops embed (almost) identically"
        bias, scale = 6.0, 12.0 / closest
    else:
        kernel = rng.standard_normal(vectors.shape[1])
        typical = differences.mean(axis=0)  # no large constant part for the bias to cancel: float32 stays exact
        kernel -= typical * (kernel @ typical) / (typical @ typical)
        low, high = np.percentile(differences @ kernel, [10, 90])
        scale = 4.0 / (high - low)  # steeper would amplify float32 rounding beyond the 1e-5 tolerance
        bias = -scale * (low + high) / 2
    classifier_of(model).set_weights([(scale * kernel)[:, None].astype(np.float32), np.array([bias], np.float32)])
    return model
