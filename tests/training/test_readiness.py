"""What a home still needs before training, an interrupted training left behind, and a new model's judgement."""
import json

import numpy as np

from faceverify.home.store import Store
from faceverify.training.readiness import (
    discard_interrupted,
    interrupted_training,
    judge_model,
    model_warning,
    plural,
    steps_done,
    training_blocker,
)


def _crop(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (100, 100, 3), np.uint8)


def test_training_is_blocked_until_someone_is_enrolled_and_negatives_are_there(tmp_path):
    store = Store(tmp_path / "home").ensure()
    assert "Enroll someone first" in training_blocker(store)
    store.add_image("Ada", "anchor", _crop(1))
    store.add_image("Ada", "positive", _crop(2))
    assert "Enroll someone first" in training_blocker(store), "one image of each is not enough"
    store.add_image("Ada", "anchor", _crop(3))
    store.add_image("Ada", "positive", _crop(4))
    assert "Import negatives first" in training_blocker(store)
    store.add_negative("Lfw_Person", "Lfw_Person_0001.jpg", _crop(5))
    assert training_blocker(store) is None
    assert steps_done(store) == (True, True, False)


def test_an_interrupted_training_is_found_described_and_discarded(tmp_path):
    store = Store(tmp_path / "home").ensure()
    assert interrupted_training(store) is None
    store.checkpoints_dir.mkdir()
    (store.checkpoints_dir / "ckpt-1.data-00000-of-00001").write_bytes(b"x" * 3 * 2**20)
    (store.checkpoints_dir / "training.json").write_text(json.dumps(
        {"config": {"epochs": 50}, "history": [{}, {}, {}], "checkpoint": "ckpt-1", "pairs_per_second": 1.0}))
    found = interrupted_training(store)
    assert (found.epochs_done, found.epochs) == (3, 50) and found.size_bytes > 3 * 2**20
    assert "3 of 50 epochs done, 3 MB on disk" in found.describe()
    discard_interrupted(store)
    assert interrupted_training(store) is None and not store.checkpoints_dir.exists()


def _calibration(eer: float) -> dict:
    return {"detection_threshold": 0.5, "validation": {"eer": eer, "n_positive": 8, "n_negative": 59}}


def test_a_model_near_chance_is_not_usable_and_says_what_to_do():
    verdict = judge_model(_calibration(0.5))
    assert not verdict.usable
    assert "not usable" in verdict.text and "more images" in verdict.text and "more epochs" in verdict.text
    assert "equal error" not in verdict.text and "--" not in verdict.text
    assert judge_model(_calibration(0.25)).usable and "mistakes" in judge_model(_calibration(0.25)).text
    assert "good" in judge_model(_calibration(0.08)).text
    assert not judge_model(None).usable


def test_a_model_in_use_is_warned_about_only_when_judged_not_usable():
    assert "wrong about 50% of the time" in model_warning(_calibration(0.5))
    assert model_warning(_calibration(0.2)) is None
    assert model_warning({}) is None, "a model without figures (say a shipped one) is not called unusable"


def test_plurals_read_right():
    assert [plural(1, "epoch"), plural(2, "epoch"), plural(0, "image"), plural(1500, "image")] == [
        "1 epoch", "2 epochs", "0 images", "1,500 images"]
