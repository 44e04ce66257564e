"""An identity-classification head for generic training: a softmax over the training identities on the embedding.

A maintainers' lever for the generic model (issue 18, part 3, ``TrainingConfig.identity_weight``): besides the pair
loss, each batch image of a training identity with two or more images is classified among all of them, which asks
the embedding to keep every training person apart at once, not only the pairs of one batch. The head is a layer of
its own, outside the Siamese model: it is trained beside it and never saved with it (the saved network stays the
seed's).
"""
from __future__ import annotations

import numpy as np

from faceverify.model.tfruntime import tf
from faceverify.training.pairs import PairData


class IdentityHead:
    """Dense(identities) with softmax cross-entropy; ``classes`` maps an owner group to its class (-1: none)."""

    def __init__(self, data: PairData, width: int, weight: float) -> None:
        groups = sorted({int(data.owners[i.anchors[0]]) for i in data.train.identities})
        self.classes = np.full(int(data.owners.max()) + 1, -1, np.int64)
        self.classes[groups] = np.arange(len(groups))
        self.weight = weight
        self.layer = tf.keras.layers.Dense(len(groups), dtype="float32", name="identity_head")
        self.layer.build((None, width))

    def loss(self, embeddings: tf.Tensor, owners: tf.Tensor) -> tf.Tensor:
        """``weight`` x the mean cross-entropy over the batch images that belong to a training identity."""
        labels = tf.gather(tf.constant(self.classes), owners)
        counted = tf.cast(labels >= 0, tf.float32)
        logits = self.layer(tf.cast(embeddings, tf.float32))
        entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.maximum(labels, 0), logits=logits)
        return self.weight * tf.reduce_sum(entropy * counted) / tf.maximum(tf.reduce_sum(counted), 1.0)
