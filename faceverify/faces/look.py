"""Camera looks: how a camera renders faces (colour balance, sharpness, noise), simulated and transferred.

A network trained on webcam anchors against LFW negatives can learn "webcam look means the same person".
The remedy: estimate the enrolled camera's look and give some LFW negatives that look during training,
so pairs of two different people through the same camera are negatives too. A look is estimated as a
per-channel, radially symmetric filter in the frequency domain: the ratio of the enrolled images' mean
amplitude spectrum to the negatives'. Its zero frequency carries the colour cast, its high frequencies
the blur (gain below 1) or the noise (gain above 1). :class:`CameraLook` simulates a camera for tests
and the same-camera protocol.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceverify.faces.pipeline import CROP_SIZE

GAIN_LIMITS = (0.25, 4.0)  # a transfer filter never attenuates or amplifies a frequency more than this
FFT_CHUNK = 64  # crops transformed at a time (see radial_amplitude)


def _radius() -> np.ndarray:
    """Integer distance of each FFT bin from the zero frequency, for a CROP_SIZE x CROP_SIZE image."""
    f = np.fft.fftfreq(CROP_SIZE) * CROP_SIZE
    return np.rint(np.hypot(f[:, None], f[None, :])).astype(int)


RADIUS = _radius()


def radial_amplitude(images: np.ndarray) -> np.ndarray:
    """Mean amplitude spectrum of uint8 crops (n, 100, 100, 3), averaged over rings: shape (3, radii).

    A chunk of images at a time: one FFT of 1,500 crops at once (a 720 MB complex array) took 14 s, in chunks 1 s."""
    images = np.asarray(images).reshape(-1, CROP_SIZE, CROP_SIZE, 3)
    total = np.zeros((CROP_SIZE, CROP_SIZE, 3))
    for start in range(0, len(images), FFT_CHUNK):
        pixels = images[start : start + FFT_CHUNK].astype(np.float32) / 255.0
        total += np.abs(np.fft.fft2(pixels, axes=(1, 2))).sum(axis=0)
    amplitude = total / max(len(images), 1)  # (100, 100, 3)
    counts = np.bincount(RADIUS.ravel())
    return np.stack([np.bincount(RADIUS.ravel(), amplitude[..., c].ravel()) / counts for c in range(3)])


def radial_gains(look_of: np.ndarray, given_to: np.ndarray) -> np.ndarray:
    """The gains per ring, (3, radii), from one :func:`radial_amplitude` to another: ``given_to``'s images get
    ``look_of``'s look."""
    return np.clip(look_of / np.maximum(given_to, 1e-6), *GAIN_LIMITS)


def gain_filter(gains: np.ndarray) -> np.ndarray:
    """Gains per ring spread over the (100, 100, 3) frequency grid, as :func:`apply_filter` takes them."""
    return np.moveaxis(gains[:, RADIUS], 0, -1).astype(np.float32)


def transfer_filter(look_of: np.ndarray, given_to: np.ndarray) -> np.ndarray:
    """The (100, 100, 3) frequency gains that give images like ``given_to`` the look of ``look_of``."""
    return gain_filter(radial_gains(radial_amplitude(look_of), radial_amplitude(given_to)))


def apply_filter(image: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """A uint8 crop filtered by ``gains`` (from :func:`transfer_filter`), as uint8."""
    spectrum = np.fft.fft2(image.astype(np.float32) / 255.0, axes=(0, 1)) * gains
    filtered = np.real(np.fft.ifft2(spectrum, axes=(0, 1)))
    return np.clip(np.rint(filtered * 255.0), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class CameraLook:
    """A fixed simulated camera: colour gains (R, G, B), Gaussian blur, sensor noise and JPEG compression."""

    gains: tuple[float, float, float] = (1.12, 1.0, 0.82)
    blur_sigma: float = 1.2
    noise: float = 6.0  # standard deviation in 0..255 grey levels
    jpeg_quality: int = 40
    seed: int = 0

    def apply(self, rgb: np.ndarray, index: int = 0) -> np.ndarray:
        """The uint8 RGB image as this camera would show it (noise drawn from ``seed`` and ``index``)."""
        image = rgb.astype(np.float32) * np.asarray(self.gains, np.float32)
        image = cv2.GaussianBlur(image, (0, 0), self.blur_sigma)
        image += np.random.default_rng([self.seed, index]).normal(0.0, self.noise, image.shape)
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
