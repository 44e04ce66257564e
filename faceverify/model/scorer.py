"""Scoring with a Keras Siamese model while it trains: embed each image once with TensorFlow, then the numpy
head (:mod:`head`) for every pair. Deciding with a saved model uses :mod:`runtime` instead."""
from __future__ import annotations

import keras
import numpy as np

from faceverify.faces.pipeline import to_input
from faceverify.model.head import head_scores, pair_scores
from faceverify.model.network import classifier_of, embedding_of
from faceverify.model.tfruntime import tf

EMBED_BATCH = 64


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
        """Siamese scores of embeddings: one probe against every gallery row, or row by row (see :mod:`head`)."""
        return head_scores(*self._head(), probe, gallery)

    def pair_scores(self, images: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
        return pair_scores(self.embed, self.head, images, rows)
