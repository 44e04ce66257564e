"""Training: model, history and calibration saved at the end, progress, cancel + resume, the pair loss, camera looks."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from conftest import make_small_store
from faceverify.model.current import model_version
from faceverify.model.network import embedding_of, load_model
from faceverify.model.tfruntime import tf
from faceverify.training.pairs import camera_looks, epoch_batches, load_pair_data
from faceverify.training.trainer import Trainer, TrainingCancelled, TrainingConfig, balanced_pair_loss, pair_logits
from faceverify.verification.thresholds import threshold

QUICK = dict(epochs=2, steps_per_epoch=1, batch_size=8, replace_if_worse=True)  # random crops: nothing to judge


@pytest.mark.slow
def test_training_saves_model_history_and_reports_progress(tmp_path):
    store = make_small_store(tmp_path / "home")
    seen = []
    result = Trainer(store, TrainingConfig(**QUICK), on_progress=seen.append).run()
    assert [(p.epoch, p.step, p.validating) for p in seen] == [
        (1, 1, False), (1, 1, True), (1, 1, False), (2, 1, False), (2, 1, True), (2, 1, False)]
    assert seen[-1].last_epoch is result.history[-1] and seen[-1].remaining == pytest.approx(0, abs=1)
    assert [e.epoch for e in result.history] == [1, 2] and result.pairs_per_second > 0
    for epoch in result.history:
        assert epoch.pairs == 8 * 7 // 2 and 0 < epoch.loss < 5 and 0 < epoch.val_loss < 5  # every pair of 8 images
        assert 0 <= epoch.val_precision <= 1 and 0 <= epoch.val_recall <= 1
    saved = json.loads((store.results_dir / "training.json").read_text())
    assert saved["config"]["epochs"] == 2 and len(saved["history"]) == 2
    saved_model = load_model(store.model_path)
    assert saved_model.count_params() == 38_964_545
    # trained in bfloat16 where the CPU has it, saved as plain float32 all the same
    assert {layer.dtype_policy.name for layer in embedding_of(saved_model).layers} == {"float32"}
    assert not store.checkpoints_dir.exists()
    calibration = json.loads(store.calibration_path.read_text())
    assert calibration["model_version"] == model_version(store)
    assert calibration["detection_threshold"] == saved["calibration"]["detection_threshold"]
    assert threshold(store, "detection_threshold") == calibration["detection_threshold"]
    # the person's 4 validation images and the 6 validation images of other people, each verified as the app does
    assert (calibration["validation"]["n_positive"], calibration["validation"]["n_negative"]) == (4, 6)


def test_pair_loss_is_balanced_cross_entropy_over_every_pair():
    rng = np.random.default_rng(0)
    embeddings = rng.random((5, 4)).astype(np.float32)
    owners = np.array([0, 0, 1, 2, 1])
    classifier = keras.layers.Dense(1)
    classifier.build((None, 4))
    kernel, bias = rng.normal(size=(4, 1)).astype(np.float32), np.array([0.3], np.float32)
    classifier.set_weights([kernel, bias])
    positive, negative = [], []
    for i in range(5):
        for j in range(i + 1, 5):
            p = 1 / (1 + np.exp(-(np.abs(embeddings[i] - embeddings[j]) @ kernel[:, 0] + bias[0])))
            (positive if owners[i] == owners[j] else negative).append(p)
    expected = 0.5 * (-np.mean(np.log(positive)) - np.mean(np.log(1 - np.asarray(negative))))
    assert len(positive) == 2 and len(negative) == 8
    logits = pair_logits(tf.constant(embeddings), classifier)
    assert float(balanced_pair_loss(logits, tf.constant(owners))) == pytest.approx(expected, 1e-5)
    # hard negative mining: a quarter of the 8 negatives, ceil(2.0) = the 2 with the highest scores, count
    hardest = -np.log(1 - np.sort(negative)[-2:])
    mined = 0.5 * (-np.mean(np.log(positive)) + np.mean(hardest))
    loss = balanced_pair_loss(logits, tf.constant(owners), 0.25)
    assert float(loss) == pytest.approx(mined, 1e-5)


def test_other_peoples_images_get_the_enrolled_camera_look(tmp_path):
    store = make_small_store(tmp_path / "home", per_role=10, lfw_people=12)
    data = load_pair_data(store)
    enrolled_group = int(data.owners[data.train.identities[0].anchors[0]])
    looks = camera_looks(data, seed=0)
    assert list(looks) == [enrolled_group] and looks[enrolled_group].shape == (100, 100, 3)
    originals = {data.images[i].tobytes() for i in range(len(data.images))}
    batches = epoch_batches(data, looks, 8, 16, np.random.default_rng(0))
    changed = [owner for image, owner, _ in batches if image.tobytes() not in originals]
    assert changed and enrolled_group not in changed  # the enrolled person's own images stay as captured
    unchanged = epoch_batches(data, {}, 8, 16, np.random.default_rng(0))
    assert all(image.tobytes() in originals for image, _, _ in unchanged)


@pytest.mark.slow
def test_cancel_keeps_a_checkpoint_and_resume_finishes(tmp_path):
    store = make_small_store(tmp_path / "home")
    progress = []

    def stop_in_second_epoch() -> bool:
        return bool(progress) and progress[-1].last_epoch is not None

    with pytest.raises(TrainingCancelled):
        Trainer(store, TrainingConfig(**QUICK), on_progress=progress.append, should_stop=stop_in_second_epoch).run()
    assert not store.model_path.exists()  # nothing replaced before training completes
    state = json.loads((store.checkpoints_dir / "training.json").read_text())
    assert len(state["history"]) == 1
    resumed = Trainer.resume(store).run()
    assert len(resumed.history) == 2
    assert resumed.history[0].loss == state["history"][0]["loss"]  # epoch 1 was not trained again
    assert store.model_path.exists() and not store.checkpoints_dir.exists()


def test_resume_without_interrupted_training_is_a_clear_error(tmp_path):
    from faceverify.errors import FaceverifyError

    with pytest.raises(FaceverifyError, match="No interrupted training"):
        Trainer.resume(make_small_store(tmp_path / "home"))


@pytest.mark.slow
def test_mirrored_strategy_over_two_logical_cpus(tmp_path):
    """Needs a fresh process: logical devices must be configured before TensorFlow starts."""
    script = textwrap.dedent(f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import sys; sys.path.insert(0, {str(tmp_path.parent)!r})
        from conftest import make_small_store
        from faceverify.training.trainer import Trainer, TrainingConfig
        trainer = Trainer(make_small_store(__import__("pathlib").Path({str(tmp_path / "home")!r})),
                          TrainingConfig(epochs=1, steps_per_epoch=1, batch_size=8, strategy="mirrored"))
        result = trainer.run()
        print("replicas", trainer.strategy.num_replicas_in_sync, "loss", result.history[0].loss)
    """)
    conftest_dir = __import__("pathlib").Path(__file__).parents[1]  # tests/conftest.py
    (tmp_path.parent / "conftest.py").write_text((conftest_dir / "conftest.py").read_text())
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[words.index("replicas") + 1] == "2"
    assert 0 < float(words[words.index("loss") + 1]) < 5


@pytest.mark.slow
def test_training_starts_from_the_shipped_model_unless_told_otherwise(tmp_path):
    from faceverify.model import shipped

    store = make_small_store(tmp_path / "home")
    generic = shipped.load().get_weights()
    Trainer(store, TrainingConfig(epochs=1, steps_per_epoch=1, batch_size=8, learning_rate=1e-12,
                                  replace_if_worse=True)).run()
    tuned = load_model(store.model_path).get_weights()
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(generic, tuned))  # a rate of 1e-12 changes nothing
    Trainer(store, TrainingConfig(epochs=1, steps_per_epoch=1, batch_size=8, learning_rate=1e-12,
                                  from_scratch=True, replace_if_worse=True)).run()
    scratch = load_model(store.model_path).get_weights()
    assert not np.allclose(generic[0], scratch[0], atol=1e-3)  # random weights, not the shipped ones


@pytest.mark.slow
def test_a_time_budget_ends_training_early_with_a_saved_model_and_decays_the_rate(tmp_path):
    store = make_small_store(tmp_path / "home")
    result = Trainer(store, TrainingConfig(epochs=50, steps_per_epoch=1, batch_size=8, minutes=1e-4,
                                            replace_if_worse=True)).run()
    assert len(result.history) == 1 and store.model_path.exists() and not store.checkpoints_dir.exists()
    config = TrainingConfig(minutes=10, learning_rate=1e-4)
    rates = [config.rate_at(seconds) for seconds in (0, 150, 300, 450, 600, 900)]
    assert rates[0] == pytest.approx(1e-4) and rates[-1] == rates[-2] == pytest.approx(1e-5)
    assert all(a > b for a, b in zip(rates[:5], rates[1:5]))
    assert TrainingConfig().rate_at(10_000) == 1e-4  # no budget: constant


@pytest.mark.slow
def test_cancel_mid_epoch_saves_every_finished_epoch_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr("faceverify.training.trainer.CHECKPOINT_SECONDS", 3600)  # only the first epoch is saved
    store = make_small_store(tmp_path / "home")
    progress = []

    def stop_in_the_third_epoch() -> bool:
        return bool(progress) and progress[-1].epoch == 3 and progress[-1].step == 2

    with pytest.raises(TrainingCancelled, match="after the last finished epoch"):
        Trainer(store, TrainingConfig(epochs=4, steps_per_epoch=3, batch_size=8), on_progress=progress.append,
                should_stop=stop_in_the_third_epoch).run()
    state = json.loads((store.checkpoints_dir / "training.json").read_text())
    assert len(state["history"]) == 2, "the second epoch, finished within the minute, was saved on Cancel"
    assert Trainer.resume(store).epochs_done() == 2
