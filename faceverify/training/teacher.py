"""The teacher: dlib's face descriptors give every pair of a training batch a soft same-person target.

A maintainers' lever for the generic model (issue 18, part 3); nothing of it is used at run time or saved with
the model. dlib's ResNet descriptors of the training images are computed once, outside the project
(``benchmarks/teacher_descriptors.py``); the distance between two descriptors becomes a probability of "same person"
by a logistic fit on pairs of the training people only (:func:`fit_calibration`). While training, the cross-entropy
between the network's pair scores and these targets is mixed into the pair loss (``TrainingConfig.teacher_weight``).
People with a single image take part too: their pairs get a target from the descriptors (near 0 for most, higher for
lookalikes), where the pair loss only ever says "different".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from faceverify.errors import FaceverifyError
from faceverify.model.tfruntime import tf
from faceverify.training.pairs import PairData

CALIBRATION_NEGATIVES = 10  # different-person pairs per same-person pair in the fit
MAX_PAIRS_PER_PERSON = 45  # same-person pairs of one person in the fit (every pair of 10 images)


@dataclass(frozen=True)
class Teacher:
    """Descriptors aligned with :attr:`PairData.images` (zeros where ``known`` is False) and the fitted calibration
    p(same) = sigmoid(offset - scale x distance)."""

    descriptors: np.ndarray
    known: np.ndarray
    offset: float
    scale: float

    def targets(self, distances: np.ndarray) -> np.ndarray:
        """Soft same-person targets of descriptor distances."""
        return expit(self.offset - self.scale * np.asarray(distances))

    def loss(self, logits: tf.Tensor, owners: tf.Tensor, indices: tf.Tensor) -> tf.Tensor:
        """Cross-entropy of the batch's pair logits (``pair_logits``) against the soft targets, each unordered pair of
        two described images once, same-owner and other pairs weighted one half each (as in the pair loss)."""
        descriptors = tf.gather(tf.constant(self.descriptors), indices)
        known = tf.cast(tf.gather(tf.constant(self.known), indices), tf.float32)
        squared = tf.reduce_sum(tf.square(descriptors[:, None, :] - descriptors[None, :, :]), -1)
        targets = tf.sigmoid(self.offset - self.scale * tf.sqrt(squared + 1e-12))
        entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
        above = 1.0 - tf.linalg.band_part(tf.ones_like(entropy), -1, 0)
        counted = above * known[:, None] * known[None, :]
        same = tf.cast(tf.equal(owners[:, None], owners[None, :]), tf.float32)
        return 0.5 * sum(tf.reduce_sum(entropy * part) / tf.maximum(tf.reduce_sum(part), 1.0)
                         for part in (counted * same, counted * (1.0 - same)))


def fit_calibration(descriptors: np.ndarray, owners: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """(offset, scale) of a logistic fit of "same person" on descriptor distance, each class weighted one half:
    every person's pairs (at most MAX_PAIRS_PER_PERSON) and CALIBRATION_NEGATIVES random other pairs per such pair."""
    same = []
    for owner in np.unique(owners):
        members = np.flatnonzero(owners == owner)
        pairs = [(a, b) for k, a in enumerate(members) for b in members[k + 1:]]
        same += [pairs[i] for i in rng.permutation(len(pairs))[:MAX_PAIRS_PER_PERSON]]
    if not same:
        raise FaceverifyError("The teacher needs training people with two or more described images")
    first, second = rng.integers(0, len(owners), (2, CALIBRATION_NEGATIVES * len(same)))
    other = owners[first] != owners[second]
    pairs = np.concatenate([np.asarray(same), np.column_stack([first[other], second[other]])])
    labels = np.r_[np.ones(len(same)), np.zeros(int(other.sum()))]
    distances = np.linalg.norm(descriptors[pairs[:, 0]] - descriptors[pairs[:, 1]], axis=1)
    weights = np.where(labels == 1, 0.5 / labels.sum(), 0.5 / (1 - labels).sum())

    def cost(parameters: np.ndarray) -> float:
        z = parameters[0] - parameters[1] * distances
        return -float(np.sum(weights * (labels * log_expit(z) + (1 - labels) * log_expit(-z))))

    fitted = minimize(cost, np.array([6.0, 10.0]), method="Nelder-Mead").x
    return float(fitted[0]), float(fitted[1])


def load_teacher(path: str | Path, data: PairData, seed: int) -> Teacher:
    """The teacher of ``data``'s training images from a descriptor file (``names``, ``descriptors``); images of the
    validation side never get a descriptor, whatever the file holds."""
    with np.load(Path(path)) as saved:
        found = dict(zip(saved["names"].tolist(), saved["descriptors"]))
    training = np.zeros(len(data.images), bool)
    training[data.train.negatives] = True
    for identity in data.train.identities:
        training[identity.anchors + identity.positives] = True
    known = training & np.array([name in found for name in data.names], bool)
    if not known.any():
        raise FaceverifyError(f"{path}: no descriptor of any training image of this home")
    descriptors = np.zeros((len(data.images), 128), np.float32)
    descriptors[known] = [found[data.names[i]] for i in np.flatnonzero(known)]
    offset, scale = fit_calibration(descriptors[known], data.owners[known], np.random.default_rng(seed))
    return Teacher(descriptors, known, offset, scale)
