"""A home model's cohort is seen through each person's camera: the held-out faces get the look of the person's
enrolled images before they are embedded; cached per person, made again when their look or the model changes,
removed with them."""
from __future__ import annotations

import numpy as np

from faceverify.enrollment.enroll import remove_person
from faceverify.home.store import Store
from faceverify.verification.cohort import LOOK_SUFFIX, cohort_embeddings, save_held_out


def _crops(seed: int, count: int, gains=(1.0, 1.0, 1.0), blur: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(count):
        crop = rng.integers(40, 216, (100, 100, 3)).astype(np.float32) * np.asarray(gains, np.float32)
        crops.append(np.clip(crop, 0, 255).astype(np.uint8))
    return crops


class _Embedder:
    """Records what it is asked to embed; embeddings are the crops' mean colours, spread over 4,096 values."""

    def __init__(self) -> None:
        self.calls: list[np.ndarray] = []

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        self.calls.append(crops)
        means = crops.reshape(len(crops), -1, 3).mean(axis=1) / 255
        return np.repeat(means, 4096 // 3 + 1, axis=1)[:, :4096].astype(np.float32)


def _home(tmp_path) -> Store:
    store = Store(tmp_path / "home").ensure()
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    store.model_path.write_bytes(b"stands for a model of its own: only its presence is looked at")
    for i, crop in enumerate(_crops(1, 6)):
        store.add_negative(f"Zed{i}", f"Zed{i}_0001.jpg", crop)
    save_held_out(store, [f"Zed{i}" for i in range(6)])
    for i, crop in enumerate(_crops(2, 10, gains=(1.3, 1.0, 0.6))):  # a warm camera: red up, blue down
        store.add_image("Ada", ("anchor", "positive")[i % 2], crop)
    return store


def test_the_cohort_takes_the_persons_camera_look(tmp_path):
    store, embed = _home(tmp_path), _Embedder()
    cohort = cohort_embeddings(store, "v1", "Ada", embed)
    assert cohort.dtype == np.uint8 and cohort.shape == (6, 4096)
    seen = embed.calls[0].reshape(6, -1, 3).mean(axis=1)
    plain = np.stack(_crops(1, 6)).reshape(6, -1, 3).mean(axis=1)
    assert (seen[:, 0] > plain[:, 0] + 10).all() and (seen[:, 2] < plain[:, 2] - 10).all()  # warmer, like Ada's


def test_it_is_cached_and_made_again_only_when_the_persons_look_changes(tmp_path):
    store, embed = _home(tmp_path), _Embedder()
    first = cohort_embeddings(store, "v1", "Ada", embed)
    np.testing.assert_array_equal(cohort_embeddings(store, "v1", "Ada", embed), first)
    assert len(embed.calls) == 1 and (store.embeddings_dir / "v1" / f"Ada{LOOK_SUFFIX}").is_file()
    store.add_image("Ada", "positive", _crops(4, 1, gains=(1.3, 1.0, 0.6))[0])  # one more from the same camera
    cohort_embeddings(store, "v1", "Ada", embed)
    assert len(embed.calls) == 1, "the same look: the cohort is kept"
    for crop in _crops(3, 3, gains=(0.6, 1.0, 1.3)):  # images from a cold camera join
        store.add_image("Ada", "anchor", crop)
    cohort_embeddings(store, "v1", "Ada", embed)
    assert len(embed.calls) == 2, "another look: the cohort is made again"
    cohort_embeddings(store, "v2", "Ada", embed)
    assert len(embed.calls) == 3, "another model: made again"


def test_it_goes_with_the_person(tmp_path):
    store, embed = _home(tmp_path), _Embedder()
    cohort_embeddings(store, "v1", "Ada", embed)
    remove_person(store, "Ada")
    assert not list(store.embeddings_dir.rglob(f"*{LOOK_SUFFIX}"))
