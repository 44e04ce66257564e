"""Shared fixtures: the real LFW data beside the project (skipped where absent) and small homes."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real LFW images and videos), or skip the test with the reason."""
    if not (SHARED_DATA / "lfw").is_dir():
        pytest.skip(f"real LFW data not found at {SHARED_DATA} (present in CI; see its README)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def lfw_dir(shared_data: Path) -> Path:
    """The real lfw/ folder: one folder of 250x250 JPEGs per person."""
    return shared_data / "lfw"


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write an RGB (or grey/BGRA as given) image with OpenCV, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), image)
    return path


def noise_image(seed: int, size: int = 120) -> np.ndarray:
    """A reproducible random RGB image (no face in it)."""
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def make_small_store(root: Path, people: int = 1, per_role: int = 6, lfw_people: int = 6, per_lfw: int = 3):
    """A store of random crops: enrolled people and LFW-style negatives (for logic, not accuracy)."""
    from faceverify.home.store import Store

    store = Store(root)
    seed = 0
    for p in range(people):
        for role in ("anchor", "positive"):
            for _ in range(per_role):
                store.add_image(f"Person {p}", role, noise_image(seed := seed + 1, 100))
    for n in range(lfw_people):
        for i in range(per_lfw):
            store.add_negative(f"Lfw_{n}", f"Lfw_{n}_{i + 1:04d}.jpg", noise_image(seed := seed + 1, 100))
    return store
