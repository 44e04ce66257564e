"""Training augmentation: the geometric jitter moves a face by a few pixels at most, and keeps its range."""
from __future__ import annotations

import numpy as np

from faceverify.augment import ROTATION, SCALE, SHIFT, augment_image, jitter_image
from faceverify.tfruntime import tf


def _centroid(image: np.ndarray) -> np.ndarray:
    weights = image.mean(axis=2)
    ys, xs = np.indices(weights.shape)
    return np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()


def test_jitter_moves_a_spot_by_a_few_pixels_at_most():
    image = np.zeros((100, 100, 3), np.float32)
    image[18:23, 68:73] = 1.0  # a spot 20 px right of and 30 px above the centre, like an eye
    before = _centroid(image)
    radius = np.hypot(*(before - 49.5))
    limit = np.hypot(SHIFT, SHIFT) + radius * (ROTATION + SCALE) + 1.0
    tf.random.set_seed(0)
    moves = [np.linalg.norm(_centroid(jitter_image(tf.constant(image)).numpy()) - before) for _ in range(40)]
    assert max(moves) <= limit
    assert np.median(moves) > 0.5  # it does move


def test_augmented_images_are_float_in_range_with_or_without_jitter():
    image = tf.constant(np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8))
    for jitter in (False, True):
        out = augment_image(image, jitter).numpy()
        assert out.shape == (100, 100, 3) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
