"""The Siamese head on compact (one byte a value) embeddings: within its quantisation bound of float32, the same (to
float rounding) whether a large gallery is scored in one share or on every core, and in every shape the callers use."""
from __future__ import annotations

import numpy as np
import pytest

from faceverify.model.head import LEVELS, PARALLEL_ROWS, compact, expand, head_scores

SIZE = 4096


def _logit(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, np.float64)
    return np.log(scores) - np.log1p(-scores)


@pytest.fixture
def head():
    rng = np.random.default_rng(7)
    weights = rng.normal(0, 0.04, SIZE).astype(np.float32)  # the shipped head's spread, about half negative
    return rng, weights, np.float32(0.2)


def _embeddings(rng: np.random.Generator, count: int) -> np.ndarray:
    """Sigmoid outputs as the network gives them: many near 0 or 1, the rest spread between."""
    return (1 / (1 + np.exp(-rng.normal(0, 3, (count, SIZE))))).astype(np.float32)


def test_compact_is_round_255e_and_leaves_compact_embeddings_alone():
    values = np.array([[0.0, 0.5 / LEVELS, 0.49, 1.0, 1.2, -0.1]], np.float32)
    stored = compact(values)
    assert stored.dtype == np.uint8 and stored.tolist() == [[0, 0, 125, 255, 255, 0]]
    assert compact(stored) is stored
    assert compact(values, np.float32).dtype == np.float32
    np.testing.assert_array_equal(compact(expand(stored)), stored)


def test_compact_scores_stay_within_the_quantisation_bound_of_float_scores(head):
    rng, weights, bias = head
    probe, gallery = _embeddings(rng, 1)[0], _embeddings(rng, 300)
    exact = _logit(head_scores(weights, bias, probe, gallery))
    stored = _logit(head_scores(weights, bias, probe, compact(gallery)))
    # each side is off by at most half a level, so |a - b| by at most one level a value
    bound = np.abs(weights).sum() / LEVELS
    assert np.abs(stored - exact).max() <= bound
    assert 0 < np.abs(stored - exact).mean() < bound / 10  # rounding errors cancel: far inside the worst case


def test_a_large_gallery_scores_on_every_core_as_in_one_share(head):
    rng, weights, bias = head
    probe, gallery = _embeddings(rng, 1)[0], compact(_embeddings(rng, PARALLEL_ROWS + 37))
    whole = head_scores(weights, bias, probe, gallery)  # split into shares, one per core
    parts = np.concatenate([head_scores(weights, bias, probe, gallery[i : i + 1000])  # each below the split size
                            for i in range(0, len(gallery), 1000)])
    np.testing.assert_allclose(whole, parts, rtol=1e-5)  # BLAS may group a sum's terms by block


def test_compact_scores_in_every_shape_the_callers_use(head):
    rng, weights, bias = head
    first, second = compact(_embeddings(rng, 5)), compact(_embeddings(rng, 5))
    one_pair = head_scores(weights, bias, first[0], second[0])
    row_by_row = head_scores(weights, bias, first, second)
    against_all = head_scores(weights, bias, expand(first[0]), second)  # a float probe meets a compact gallery
    assert one_pair.shape == () and row_by_row.shape == (5,) and against_all.shape == (5,)
    np.testing.assert_allclose([row_by_row[0], against_all[0]], one_pair, rtol=1e-5)
    np.testing.assert_allclose(row_by_row, [head_scores(weights, bias, a, b) for a, b in zip(first, second)],
                               rtol=1e-5)
    assert head_scores(weights, bias, first[0], second[:0]).shape == (0,)
