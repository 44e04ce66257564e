"""The generic model's training levers: the teacher's soft targets, the identity head, augmentation strength."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import make_small_store
from faceverify.model.network import load_model
from faceverify.model.tfruntime import tf
from faceverify.training.augment import augment_image
from faceverify.training.identity_head import IdentityHead
from faceverify.training.pairs import load_pair_data
from faceverify.training.teacher import Teacher, fit_calibration, load_teacher
from faceverify.training.trainer import Trainer, TrainingConfig


def _expit(x):
    return 1 / (1 + np.exp(-x))


def test_teacher_targets_follow_the_calibration_of_a_known_distance():
    teacher = Teacher(np.zeros((3, 128), np.float32), np.ones(3, bool), offset=3.0, scale=5.0)
    # p(same) = sigmoid(3 - 5 d): 0.5 at d = 0.6, dlib's usual same-person cut
    assert teacher.targets(np.array([0.6, 0.0, 1.2])) == pytest.approx([0.5, _expit(3.0), _expit(-3.0)])


def test_teacher_loss_is_the_cross_entropy_against_the_soft_targets_of_described_images():
    descriptors = np.zeros((4, 128), np.float32)
    descriptors[1, 0], descriptors[2, 0], descriptors[3, 1] = 0.3, 0.9, 0.5  # distances from image 0: .3 .9 .5
    teacher = Teacher(descriptors, np.array([True, True, True, False]), offset=3.0, scale=5.0)
    logits = np.array([[0, 1.0, -2.0, 4.0], [0, 0, 0.5, 4.0], [0, 0, 0, 4.0], [0, 0, 0, 0]], np.float32)
    owners = np.array([7, 7, 8, 9])
    loss = float(teacher.loss(tf.constant(logits), tf.constant(owners), tf.constant([0, 1, 2, 3])))

    def entropy(logit, distance):
        target, p = _expit(3.0 - 5.0 * distance), _expit(logit)
        return -(target * np.log(p) + (1 - target) * np.log(1 - p))

    # image 3 has no descriptor: its pairs do not count; (0, 1) is the one same-owner pair
    same, other = entropy(1.0, 0.3), np.mean([entropy(-2.0, 0.9), entropy(0.5, 0.6)])
    assert loss == pytest.approx(0.5 * (same + other), 1e-5)


def test_calibration_fit_separates_people_by_descriptor_distance():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 128)).astype(np.float32) * 0.06  # people ~0.7 apart, their images ~0.3
    owners = np.repeat(np.arange(30), 4)
    descriptors = centres[owners] + rng.normal(size=(120, 128)).astype(np.float32) * 0.02
    offset, scale = fit_calibration(descriptors, owners, np.random.default_rng(0))
    teacher = Teacher(descriptors, np.ones(120, bool), offset, scale)
    same = np.linalg.norm(descriptors[0] - descriptors[1])
    other = np.linalg.norm(descriptors[0] - descriptors[4])
    assert teacher.targets(same) > 0.9 and teacher.targets(other) < 0.1


def test_identity_head_classifies_only_training_identities(tmp_path):
    data = load_pair_data(make_small_store(tmp_path / "home", lfw_people=10), lfw_identities=True)
    head = IdentityHead(data, width=4, weight=0.5)
    train_groups = sorted({int(data.owners[i.anchors[0]]) for i in data.train.identities})
    assert [head.classes[g] for g in train_groups] == list(range(len(train_groups)))
    validation_group = int(data.owners[next(i for i in data.validation.identities if not i.enrolled).anchors[0]])
    assert head.classes[validation_group] == -1
    embeddings = np.random.default_rng(1).random((3, 4)).astype(np.float32)
    owners = np.array([train_groups[0], train_groups[1], validation_group])
    logits = embeddings @ head.layer.kernel.numpy() + head.layer.bias.numpy()
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -0.5 * np.mean([log_p[0, 0], log_p[1, 1]])  # the validation person's image does not count
    assert float(head.loss(tf.constant(embeddings), tf.constant(owners))) == pytest.approx(expected, 1e-5)


def test_augmentation_strength_scales_the_changes():
    image = tf.constant(np.full((100, 100, 3), 128, np.uint8))
    tf.random.set_seed(0)
    changes = {s: np.mean([float(tf.reduce_mean(tf.abs(augment_image(image, s) - 128 / 255))) for _ in range(20)])
               for s in (0.0, 0.5, 2.0)}
    assert changes[0.0] == pytest.approx(0, abs=1e-6)  # a flip of a flat image changes nothing
    assert 0 < changes[0.5] < changes[2.0]


@pytest.mark.slow
def test_teacher_and_head_train_and_the_saved_network_stays_the_seeds(tmp_path):
    store = make_small_store(tmp_path / "home", lfw_people=10)
    data = load_pair_data(store, lfw_identities=True)
    names = [data.names[i] for i in data.train.negatives]
    descriptors = np.random.default_rng(0).normal(size=(len(names), 128)).astype(np.float32) * 0.05
    np.savez(tmp_path / "teacher.npz", names=np.asarray(names), descriptors=descriptors)
    assert load_teacher(tmp_path / "teacher.npz", data, 0).known.sum() == len(set(data.train.negatives))
    config = TrainingConfig(epochs=1, steps_per_epoch=2, batch_size=8, replace_if_worse=True, lfw_identities=True,
                            teacher=str(tmp_path / "teacher.npz"), identity_weight=0.1, augment_strength=0.5)
    result = Trainer(store, config).run(data)
    assert np.isfinite(result.history[0].loss)
    assert load_model(store.model_path).count_params() == 38_964_545  # the head was dropped, the teacher never in it
