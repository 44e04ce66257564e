"""Training that never makes things worse: a new model that is not better on held-out data is refused."""
from __future__ import annotations

import json

import numpy as np
import pytest

from faceverify.home.store import Store
from faceverify.training.acceptance import MIN_HELD_OUT, compare, rate_with_interval
from faceverify.training.pairs import load_pair_data


class ToneScorer:
    """A scorer whose embedding is an image's mean tone: it tells people apart exactly when their tones differ."""

    def __init__(self, noise: float = 0.0) -> None:
        self.noise = noise  # a share of random embedding: a worse model

    def embed(self, crops: np.ndarray) -> np.ndarray:
        tone = crops.reshape(len(crops), -1).mean(axis=1, keepdims=True) / 255
        rng = np.random.default_rng(crops.reshape(len(crops), -1)[:, :8].sum(axis=1))
        return (1 - self.noise) * tone + self.noise * rng.random((len(crops), 1))

    def head(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        return 1.0 - np.abs(np.asarray(probe) - np.asarray(gallery)).mean(axis=-1) * 4


def _store(root, per_role: int) -> Store:
    """One enrolled person at tone 200 and 12 LFW-style people at tones 20 ... 130 (a little noise on each crop)."""
    store, rng = Store(root), np.random.default_rng(0)

    def crop(tone: int) -> np.ndarray:
        return np.clip(tone + rng.normal(0, 6, (100, 100, 3)), 0, 255).astype(np.uint8)

    for role in ("anchor", "positive"):
        for _ in range(per_role):
            store.add_image("Ada", role, crop(200))
    for person in range(12):
        for image in range(3):
            store.add_negative(f"Lfw_{person}", f"Lfw_{person}_{image + 1:04d}.jpg", crop(20 + 10 * person))
    return store


def test_a_worse_new_model_is_refused_and_a_better_one_kept(tmp_path):
    data = load_pair_data(_store(tmp_path / "home", per_role=10), seed=0)
    good, bad = ToneScorer(), ToneScorer(noise=0.9)
    refused = compare(good, bad, data, seed=0)
    assert not refused.kept and refused.genuine >= MIN_HELD_OUT and refused.auc_after < refused.auc_before
    assert "not better than the one in use" in refused.describe() and "model in use stays" in refused.describe()
    kept = compare(bad, good, data, seed=0)
    assert kept.kept and kept.auc_after == 1.0 and "better than the one in use" in kept.describe()
    assert f"wrong on {rate_with_interval(0, kept.genuine)}" in kept.describe()  # 0 errors, with its interval
    assert not compare(good, good, data, seed=0).kept  # no better is not better: the model in use stays


def test_too_few_held_out_images_judge_nothing(tmp_path):
    data = load_pair_data(_store(tmp_path / "home", per_role=4), seed=0)  # 30% of 4 + 4: 2 or 3 held out
    verdict = compare(ToneScorer(noise=0.9), ToneScorer(), data, seed=0)
    assert not verdict.kept and "Too few images to judge" in verdict.describe() and "enroll more" in verdict.describe()
    assert compare(None, ToneScorer(), data, seed=0).kept  # no model before it: the new one is in use


def test_a_rate_comes_with_its_uncertainty():
    assert rate_with_interval(0, 9) == "0 of 9 (0%, 95% interval 0%–30%)"
    assert rate_with_interval(1, 6) == "1 of 6 (17%, 95% interval 3%–56%)"


@pytest.mark.slow
def test_a_fine_tuning_that_wrecks_the_model_is_refused_and_the_model_in_use_stays(lfw_dir, tmp_path):
    """A learning rate of 1 ruins the shipped model in one step: the trainer sees it on held-out faces and saves
    nothing; the home keeps verifying with the model it had."""
    from faceverify.faces.pipeline import prepare_file
    from faceverify.training.trainer import Trainer, TrainingConfig

    store = Store(tmp_path / "home")
    for index, path in enumerate(sorted((lfw_dir / "Colin_Powell").glob("*.jpg"))[:20]):
        store.add_image("Colin Powell", "anchor" if index % 2 else "positive", prepare_file(path).pixels)
    others = [p for p in sorted(lfw_dir.iterdir()) if p.name != "Colin_Powell" and len(list(p.glob("*.jpg"))) >= 2]
    for person in others[:16]:
        for path in sorted(person.glob("*.jpg"))[:2]:
            store.add_negative(person.name, path.name, prepare_file(path).pixels)
    result = Trainer(store, TrainingConfig(epochs=1, steps_per_epoch=2, batch_size=8, learning_rate=1.0)).run()
    assert not result.replaced and not store.model_path.exists() and not store.calibration_path.exists()
    assert result.comparison.genuine >= MIN_HELD_OUT and result.comparison.auc_after < result.comparison.auc_before
    assert "model in use stays" in result.comparison.describe()
    saved = json.loads((store.results_dir / "training.json").read_text())
    assert saved["comparison"]["kept"] is False and "not better" in saved["comparison"]["text"]
