"""The Siamese head with numpy: sigmoid(w . |e(a) - e(b)| + b0) over embeddings, shared by every runtime.

Embedding dominates the cost, so everything that scores many pairs (verification against a gallery, validation,
evaluation) embeds each image once and applies this head to the embeddings.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

HEAD_ROWS = 256  # rows scored at a time: the |e - g| block stays in cache, no (N, 4096) temporary


def head_scores(weights: np.ndarray, bias: float, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Siamese scores sigmoid(|e - g| w + b): one probe against every gallery row, or row by row.

    Computed a block of rows at a time with numpy's own loops (einsum): no large temporary, and no BLAS threads,
    which on a small machine fight the network's threads for the same cores. A compact gallery (float16) is
    widened a block at a time.
    """
    probe = np.asarray(probe, np.float32)
    if probe.ndim == 1:  # a private copy: left as a row of embed()'s output, the scan was measured 3x slower
        probe = probe.copy()
    first, second = np.broadcast_arrays(probe, np.asarray(gallery))
    shape = first.shape[:-1]
    first, second = first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1])
    logits = np.empty(len(first), np.float32)
    block = np.empty((min(HEAD_ROWS, len(first)), first.shape[1]), np.float32)
    for start in range(0, len(first), HEAD_ROWS):
        stop = min(start + HEAD_ROWS, len(first))
        part = block[: stop - start]
        np.abs(np.subtract(first[start:stop], second[start:stop], out=part, dtype=np.float32), out=part)
        logits[start:stop] = np.einsum("ij,j->i", part, weights)
    logits += np.float32(bias)
    with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: the score is 0
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32).reshape(shape)


def pair_scores(embed: Callable[[np.ndarray], np.ndarray], head: Callable[[np.ndarray, np.ndarray], np.ndarray],
                images: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
    used, inverse = np.unique(np.asarray(rows)[:, :2], return_inverse=True)
    embeddings = embed(images[used])
    inverse = inverse.reshape(-1, 2)
    return head(embeddings[inverse[:, 0]], embeddings[inverse[:, 1]])
