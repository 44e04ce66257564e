"""Camera looks: the simulated camera, and the transfer filter that gives other images a camera's look."""
from __future__ import annotations

import cv2
import numpy as np

from faceverify.faces.look import CameraLook, apply_filter, radial_amplitude, transfer_filter


def smooth_images(count: int, seed: int) -> np.ndarray:
    """Face-sized images with structure at every scale (blurred noise plus sharp random edges)."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        base = cv2.GaussianBlur(rng.random((100, 100, 3)).astype(np.float32), (0, 0), 3) * 400 - 70
        x, y = rng.integers(10, 90, 2)
        cv2.rectangle(base, (int(x) - 20, int(y) - 15), (int(x) + 20, int(y) + 15), (200, 160, 120), -1)
        images.append(np.clip(base, 0, 255).astype(np.uint8))
    return np.stack(images)


def detail(images: np.ndarray) -> float:
    """Mean amplitude of mid frequencies (the ones blur removes, well above the rounding noise)."""
    return float(radial_amplitude(images)[:, 8:20].mean())


def test_camera_look_casts_blurs_and_is_reproducible():
    image = smooth_images(1, 0)[0]
    look = CameraLook()
    seen = look.apply(image, 3)
    np.testing.assert_array_equal(seen, look.apply(image, 3))
    assert not np.array_equal(seen, look.apply(image, 4))  # fresh sensor noise per frame
    red, blue = seen[..., 0].mean() / image[..., 0].mean(), seen[..., 2].mean() / image[..., 2].mean()
    assert red > 1.05 and blue < 0.9


def test_transfer_gives_other_images_the_cameras_colour_and_sharpness():
    look = CameraLook(noise=0.0, jpeg_quality=95)
    enrolled = np.stack([look.apply(image, i) for i, image in enumerate(smooth_images(40, 1))])
    negatives = smooth_images(40, 2)
    gains = transfer_filter(enrolled, negatives)
    others = smooth_images(20, 3)
    moved = np.stack([apply_filter(image, gains) for image in others])
    truth = np.stack([look.apply(image, i) for i, image in enumerate(others)])
    colour_gap_before = np.abs(others.mean((0, 1, 2)) - truth.mean((0, 1, 2))).max()
    colour_gap_after = np.abs(moved.mean((0, 1, 2)) - truth.mean((0, 1, 2))).max()
    assert colour_gap_before > 8 and colour_gap_after < 3
    assert abs(detail(others) - detail(truth)) > 0.25 * detail(truth)
    assert abs(detail(moved) - detail(truth)) < 0.1 * detail(truth)  # blurred like the camera's images


def test_a_look_transferred_onto_itself_changes_nothing():
    images = smooth_images(10, 4)
    gains = transfer_filter(images, images)
    np.testing.assert_allclose(gains, 1.0, atol=1e-5)
    assert np.abs(apply_filter(images[0], gains).astype(int) - images[0]).max() <= 1
