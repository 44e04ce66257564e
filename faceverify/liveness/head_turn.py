"""How far a face is turned, from its 5 dlib landmarks, in cues that a flat picture can barely move.

Landmarks are dlib's 5-point model in image pixels: 0, 1 = the eye on the image's right (outer, inner
corner), 2, 3 = the eye on the image's left (outer, inner), 4 = the base of the nose.

Two cues, both measured in the frame of the eye line (so an in-plane roll changes neither):

* ``yaw``: the nose's offset from the eyes' midpoint along the eye line, divided by the eye distance;
  positive when the nose is towards the image's right. The nose stands in front of the eyes, so it slides
  sideways when the head turns (about 0.009 a degree); a flat picture moved, scaled or rotated in its plane leaves
  it unchanged. Tilting the picture does move it: the foreshortening shears the face, most where the picture is
  tilted about a slanted axis near the edge of a wide-angle view.
* ``asymmetry``: log(width of the image-right eye / width of the image-left eye). The outer eye corners lie
  behind the inner ones, so the eye on the side the nose turns to narrows. Any affine warp of a flat picture keeps
  the ratio of lengths along one line, so only perspective changes this cue on a photo, and then only a little.

A turn counts when the yaw moves the turned way by :data:`YAW_THRESHOLD` and the asymmetry agrees by
:data:`ASYMMETRY_THRESHOLD`. ``benchmarks/liveness_report.py`` measures both against flat photos: the yaw threshold
is 1.2 times the largest push (0.139) found over 20,000 pairs of poses of real LFW landmarks held within 10 degrees
of facing the camera, rolled up to 45 degrees, anywhere in a view up to 90 degrees wide, eyes up to
:data:`MAX_EYE_SHARE` of the frame apart. It asks for a head turn of about 20 degrees.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

YAW_THRESHOLD = 0.17
ASYMMETRY_THRESHOLD = 0.04  # just beyond the landmarks' jitter: the sign must agree
MAX_EYE_SHARE = 0.15  # eyes further apart than this share of the frame's width: too close (perspective fakes turns)
MIN_EYE_DISTANCE = 8.0  # pixels; closer eyes are too small for the landmarks to mean anything


class Direction(Enum):
    """A head turn from the user's own point of view: LEFT is the user's left."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def opposite(self) -> Direction:
        return Direction.RIGHT if self is Direction.LEFT else Direction.LEFT


@dataclass(frozen=True)
class Pose:
    """The turn cues of one set of landmarks (see the module docstring) and the eye distance in pixels."""

    yaw: float
    asymmetry: float
    eye_distance: float


def pose_of(points: np.ndarray) -> Pose | None:
    """The cues of dlib-ordered (5, 2) landmarks; None where the eyes are too close to measure."""
    p = np.asarray(points, dtype=np.float64).reshape(5, 2)
    right_eye, left_eye = p[0:2].mean(axis=0), p[2:4].mean(axis=0)
    axis = right_eye - left_eye
    distance = float(np.hypot(*axis))
    if distance < MIN_EYE_DISTANCE:
        return None
    axis /= distance
    offset = p[4] - (right_eye + left_eye) / 2
    right_width, left_width = np.hypot(*(p[0] - p[1])), np.hypot(*(p[2] - p[3]))
    asymmetry = float(np.log(max(right_width, 1.0) / max(left_width, 1.0)))
    return Pose(float(offset @ axis) / distance, asymmetry, distance)


def mean_pose(poses: Sequence[Pose]) -> Pose:
    """The average of several poses (smooths the landmarks' jitter)."""
    return Pose(*(float(np.mean([getattr(p, name) for p in poses])) for name in ("yaw", "asymmetry", "eye_distance")))


def image_sign(direction: Direction, mirrored: bool = False) -> int:
    """+1 if turning that way moves the nose towards the image's right, else -1.

    In a camera's own (unmirrored) picture the user's left is the image's right; a mirrored view swaps them.
    """
    sign = 1 if direction is Direction.LEFT else -1
    return -sign if mirrored else sign


def turned(pose: Pose, baseline: Pose, direction: Direction, mirrored: bool = False) -> bool:
    """Whether ``pose`` is turned ``direction`` from ``baseline`` beyond what a flat picture can fake."""
    sign = image_sign(direction, mirrored)
    return (sign * (pose.yaw - baseline.yaw) >= YAW_THRESHOLD
            and -sign * (pose.asymmetry - baseline.asymmetry) >= ASYMMETRY_THRESHOLD)


def centred(pose: Pose, baseline: Pose) -> bool:
    """Whether ``pose`` is back near ``baseline`` (within half the turn threshold)."""
    return abs(pose.yaw - baseline.yaw) < YAW_THRESHOLD / 2
