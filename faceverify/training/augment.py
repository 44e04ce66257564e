"""Training-time augmentation, applied to each image of a pair independently.

Besides the usual photometric jitter and flips, every image may get a random "camera look"
(colour cast, noise, JPEG compression): enrolled webcam images and LFW negatives then share
the same spread of looks, so the network cannot tell them apart by camera instead of by face.
"""
from __future__ import annotations

from faceverify.model.tfruntime import tf

CAST = 0.08  # largest per-channel gain change of the colour cast
NOISE = 0.03  # largest standard deviation of the added Gaussian noise


def augment_image(image: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """uint8 (100, 100, 3) -> float32 in [0, 1] with random brightness, contrast, saturation, flip, look.

    ``strength`` scales every range (JPEG quality down to 100 - 40 x strength, brightness ±0.1 x strength, ...);
    0 leaves only the flip. No geometric jitter: faces are eye-aligned, and a small random shift, scale and rotation
    measured worse side by side (README, "Levers")."""
    if strength == 0:
        return tf.image.random_flip_left_right(tf.image.convert_image_dtype(image, tf.float32))
    image = tf.image.random_jpeg_quality(image, min(99, max(0, round(100 - 40 * strength))), 100)
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, 0.1 * strength)
    image = tf.image.random_contrast(image, max(0.0, 1 - 0.2 * strength), 1 + 0.2 * strength)
    image = tf.image.random_saturation(image, max(0.0, 1 - 0.2 * strength), 1 + 0.2 * strength)
    image = image * tf.random.uniform((1, 1, 3), 1 - CAST * strength, 1 + CAST * strength)
    image = image + tf.random.normal(tf.shape(image), stddev=tf.random.uniform((), 0, NOISE * strength))
    return tf.clip_by_value(image, 0.0, 1.0)
