"""Training-time augmentation, applied to each image of a pair independently.

Besides the usual photometric jitter and flips, every image may get a random "camera look"
(colour cast, noise, JPEG compression): enrolled webcam images and LFW negatives then share
the same spread of looks, so the network cannot tell them apart by camera instead of by face.
"""
from __future__ import annotations

from .tfruntime import tf

CAST = 0.08  # largest per-channel gain change of the colour cast
NOISE = 0.03  # largest standard deviation of the added Gaussian noise
SHIFT = 4.0  # jitter: largest shift in pixels, ...
SCALE = 0.05  # ... largest relative change of scale ...
ROTATION = 0.09  # ... and largest rotation in radians (about 5 degrees), all about the crop's centre


def augment_image(image: tf.Tensor, jitter: bool = False) -> tf.Tensor:
    """uint8 (100, 100, 3) -> float32 in [0, 1] with random brightness, contrast, saturation, flip, look and,
    with ``jitter``, a small random shift, scale and rotation (the aligner's eyes land within a few pixels)."""
    image = tf.image.random_jpeg_quality(image, 60, 100)
    image = tf.image.convert_image_dtype(image, tf.float32)
    if jitter:
        image = jitter_image(image)
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, 0.1)
    image = tf.image.random_contrast(image, 0.8, 1.2)
    image = tf.image.random_saturation(image, 0.8, 1.2)
    image = image * tf.random.uniform((1, 1, 3), 1 - CAST, 1 + CAST)
    image = image + tf.random.normal(tf.shape(image), stddev=tf.random.uniform((), 0, NOISE))
    return tf.clip_by_value(image, 0.0, 1.0)



def jitter_image(image: tf.Tensor) -> tf.Tensor:
    """A random similarity transform of a float (100, 100, 3) image about its centre; borders are reflected."""
    angle = tf.random.uniform((), -ROTATION, ROTATION)
    scale = tf.random.uniform((), 1 - SCALE, 1 + SCALE)
    shift = tf.random.uniform((2,), -SHIFT, SHIFT)
    centre = tf.cast(tf.shape(image)[:2], tf.float32)[::-1] / 2  # (x, y)
    a0, a1 = tf.cos(angle) / scale, -tf.sin(angle) / scale  # output pixel -> input pixel
    b0, b1 = tf.sin(angle) / scale, tf.cos(angle) / scale
    a2 = centre[0] - a0 * centre[0] - a1 * centre[1] + shift[0]
    b2 = centre[1] - b0 * centre[0] - b1 * centre[1] + shift[1]
    transform = tf.stack([a0, a1, a2, b0, b1, b2, 0.0, 0.0])[None]
    moved = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None], transforms=transform, output_shape=tf.shape(image)[:2], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="REFLECT")
    return tf.ensure_shape(moved[0], image.shape)
