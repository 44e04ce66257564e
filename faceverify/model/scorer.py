"""Scoring with a Siamese model: embed each image once, then the cheap head for every pair.

The Siamese model's score for (a, b) is sigmoid(w . |e(a) - e(b)| + b0). Embedding dominates the cost, so
everything that scores many pairs (verification against a gallery, validation, evaluation) embeds each
image once and applies the head to the embeddings.
"""
from __future__ import annotations

import keras
import numpy as np

from faceverify.faces.pipeline import to_input
from faceverify.model.network import classifier_of, embedding_of
from faceverify.model.tfruntime import tf

EMBED_BATCH = 64
HEAD_ROWS = 256  # rows scored at a time: the |e - g| block stays in cache, no (N, 4096) temporary


class Scorer:
    """Embeddings and head scores of one model. Embeddings follow the model's current weights; the head's
    weights are read once and again after :meth:`refresh` (call it when training has changed them)."""

    def __init__(self, model: keras.Model) -> None:
        embedding = embedding_of(model)
        self._classifier = classifier_of(model)
        self._embed = tf.function(
            lambda x: embedding(x, training=False),
            input_signature=[tf.TensorSpec((None, *embedding.input_shape[1:]), tf.float32)],
            autograph=False,  # plain layers, no Python control flow to convert
        )
        self.size = int(embedding.output_shape[-1])
        self._head_weights: tuple[np.ndarray, np.float32] | None = None

    def refresh(self) -> None:
        """Read the head's weights again on the next scoring (they changed since the last)."""
        self._head_weights = None

    def _head(self) -> tuple[np.ndarray, np.float32]:
        if self._head_weights is None:
            self._head_weights = (self._classifier.kernel.numpy().reshape(-1).astype(np.float32),
                                  np.float32(self._classifier.bias.numpy()[0]))
        return self._head_weights

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Embeddings (N, 4096) of uint8 crops (N, 100, 100, 3), in batched calls of at most EMBED_BATCH."""
        parts = [self._embed(tf.constant(to_input(np.asarray(crops[i : i + EMBED_BATCH])))).numpy()
                 for i in range(0, len(crops), EMBED_BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, self.size), np.float32)

    def head(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Siamese scores sigmoid(|e - g| w + b): one probe against every gallery row, or row by row.

        Computed a block of rows at a time with numpy's own loops (einsum): no large temporary, and no
        BLAS threads, which on a small machine fight TensorFlow's threads for the same cores.
        """
        weights, bias = self._head()
        probe = np.asarray(probe, np.float32)
        if probe.ndim == 1:  # a private copy: left as a row of embed()'s output, the scan was measured 3x slower
            probe = probe.copy()
        first, second = np.broadcast_arrays(probe, np.asarray(gallery, np.float32))
        shape = first.shape[:-1]
        first, second = first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1])
        logits = np.empty(len(first), np.float32)
        block = np.empty((min(HEAD_ROWS, len(first)), first.shape[1]), np.float32)
        for start in range(0, len(first), HEAD_ROWS):
            stop = min(start + HEAD_ROWS, len(first))
            part = block[: stop - start]
            np.abs(np.subtract(first[start:stop], second[start:stop], out=part), out=part)
            logits[start:stop] = np.einsum("ij,j->i", part, weights)
        logits += bias
        with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: the score is 0
            return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32).reshape(shape)

    def pair_scores(self, images: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
        used, inverse = np.unique(np.asarray(rows)[:, :2], return_inverse=True)
        embeddings = self.embed(images[used])
        inverse = inverse.reshape(-1, 2)
        return self.head(embeddings[inverse[:, 0]], embeddings[inverse[:, 1]])
