"""Scenes for the liveness tests and benchmark: landmarks of a rigid 3-D head turning, of a flat photo held in
every way in front of a pinhole camera, and webcam-like videos of a photo attack made from one LFW image."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceverify.faces.pipeline import FaceTracker
from faceverify.liveness.challenge import Observation, observe

FRAME_SIZE = (640, 480)
# dlib's 5 points on an average adult head, in mm: x to the image's right, y down, z towards the camera; the
# eyes' inner corners at z = 0. The outer corners lie behind the inner ones and the base of the nose in front.
HEAD_MM = np.array([[44.0, 1.0, -7.0], [16.0, 0.0, 0.0], [-44.0, 1.0, -7.0], [-16.0, 0.0, 0.0], [0.0, 45.0, 19.0]])
NECK_MM = 90.0  # the head turns about an axis this far behind the eyes' inner corners


def rotation(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """A 3-D rotation (degrees): yaw turns +x towards +z (the camera), pitch turns +y towards +z, roll in plane."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    turn = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    nod = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    spin = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return spin @ nod @ turn


def project(points_mm: np.ndarray, distance_mm: float, focal_px: float, centre_px: tuple[float, float]) -> np.ndarray:
    """Pinhole projection of points (z towards the camera) whose origin lies ``distance_mm`` in front of it."""
    depth = distance_mm - points_mm[:, 2]
    return np.stack([centre_px[0] + focal_px * points_mm[:, 0] / depth,
                     centre_px[1] + focal_px * points_mm[:, 1] / depth], axis=1)


def head_landmarks(yaw: float, pitch: float = 0.0, roll: float = 0.0, distance_mm: float = 600.0,
                   focal_px: float = 600.0, centre_px: tuple[float, float] = (320.0, 240.0)) -> np.ndarray:
    """The 5 landmarks of the 3-D head turned ``yaw`` degrees (positive: the nose towards the image's right).

    A positive yaw is the user turning to their own left, seen by an unmirrored camera.
    """
    pivot = np.array([0.0, 0.0, -NECK_MM])
    return project((HEAD_MM - pivot) @ rotation(-yaw, pitch, roll).T + pivot, distance_mm, focal_px, centre_px)


@dataclass(frozen=True)
class PhotoPose:
    """How a flat photo is held: tilted ``tilt`` degrees about an in-plane axis at ``axis`` degrees from the
    horizontal, rolled ``roll`` degrees, its face's eyes ``eye_px`` apart (frontal), centred at ``centre``."""

    tilt: float
    axis: float
    roll: float
    eye_px: float
    centre: tuple[float, float]


def hold_photo(points: np.ndarray, photo: np.ndarray, pose: PhotoPose, focal_px: float) -> np.ndarray:
    """Where ``points`` of a flat photo (its pixels) appear when it is held as ``pose`` says; ``photo`` are the
    photo's own 5 landmarks, which set its centre and the size of its face."""
    eye = np.hypot(*(photo[0:2].mean(axis=0) - photo[2:4].mean(axis=0)))
    flat = np.asarray(points, dtype=np.float64) - photo.mean(axis=0)
    distance = focal_px * eye / pose.eye_px  # photo pixels as the unit of length
    a = math.radians(pose.axis)
    to_axis = np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]])
    held = rotation(roll=pose.roll) @ to_axis.T @ rotation(pitch=pose.tilt) @ to_axis  # tilt about the axis
    offset = np.array([(pose.centre[0] - FRAME_SIZE[0] / 2) * distance / focal_px,
                       (pose.centre[1] - FRAME_SIZE[1] / 2) * distance / focal_px, 0.0])
    return project(np.column_stack([flat, np.zeros(len(flat))]) @ held.T + offset, distance, focal_px,
                   (FRAME_SIZE[0] / 2, FRAME_SIZE[1] / 2))


def photo_landmarks(photo: np.ndarray, pose: PhotoPose, focal_px: float) -> np.ndarray:
    """The 5 landmarks of a flat photo (its own landmarks ``photo``, (5, 2) pixels) held as ``pose`` says."""
    return hold_photo(photo, photo, pose, focal_px)


def random_photo_pose(rng: np.random.Generator, max_tilt: float, max_eye_px: float = 96.0, min_eye_px: float = 20.0,
                      max_roll: float = 45.0) -> PhotoPose:
    """Any way a hand could hold a photo in view: tilted up to ``max_tilt`` about any axis, rolled up to
    ``max_roll`` degrees, eyes ``min_eye_px`` to ``max_eye_px`` apart (96: 15% of the frame, the most the check
    accepts), anywhere in the frame."""
    eye_px = float(rng.uniform(min_eye_px, max_eye_px))
    margin = 2 * eye_px
    return PhotoPose(float(rng.uniform(0, max_tilt)), float(rng.uniform(0, 180)),
                     float(rng.uniform(-max_roll, max_roll)), eye_px,
                     (float(rng.uniform(margin, FRAME_SIZE[0] - margin)),
                      float(rng.uniform(min(margin, 240), max(FRAME_SIZE[1] - margin, 240)))))


def clip_observations(path: Path, start: int = 0, stop: int | None = None) -> list[Observation]:
    """Observations of frames ``start`` to ``stop`` of a video, timed by its frame rate (Haar + dlib landmarks)."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    tracker, found, index = FaceTracker(), [], 0
    while stop is None or index < stop:
        ok, bgr = capture.read()
        if not ok:
            break
        if index >= start:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            found.append(observe(index, index / fps, rgb, tracker.prepare(rgb)))
        index += 1
    capture.release()
    return found


# -- tracks of landmarks ------------------------------------------------------------------------------------------
def _observation(index: int, time: float, points: np.ndarray, rng: np.random.Generator, noise_px: float,
                 thumb: np.ndarray | None = None) -> Observation:
    """An observation of ``points`` with the landmarks' jitter (dlib gives whole pixels) and a live sensor's noise."""
    points = np.round(points + rng.normal(0, noise_px, points.shape)).astype(np.float32)
    side = 2.5 * float(np.hypot(*(points[0:2].mean(axis=0) - points[2:4].mean(axis=0))))
    centre = points.mean(axis=0)
    box = (round(centre[0] - side / 2), round(centre[1] - side / 2), round(side), round(side))
    if thumb is None:
        thumb = rng.integers(90, 110, (60, 80), dtype=np.uint8)
    return Observation(time, thumb, box, points, FRAME_SIZE[0], index)


def head_track(yaws: list[tuple[float, float]], fps: float = 15.0, noise_px: float = 0.5, seed: int = 0,
               **camera: float) -> list[Observation]:
    """A live head: ``yaws`` are (seconds, degrees) key points (positive: the user's left), linearly joined."""
    rng = np.random.default_rng(seed)
    times, angles = zip(*yaws)
    count = int(times[-1] * fps) + 1
    return [_observation(i, i / fps, head_landmarks(float(np.interp(i / fps, times, angles)), **camera), rng,
                         noise_px) for i in range(count)]


def turns(directions: list[int], degrees: float = 25.0, rest: float = 0.8, move: float = 0.4) -> list[tuple]:
    """Yaw key points: still for ``rest`` seconds, then each turn (+1 the user's left, -1 right) and back."""
    keys, t = [(0.0, 0.0), (rest, 0.0)], rest
    for sign in directions:
        keys += [(t + move, sign * degrees), (t + 2 * move, sign * degrees), (t + 3 * move, 0.0),
                 (t + 3 * move + rest, 0.0)]
        t += 3 * move + rest
    return keys


def photo_track(photo: np.ndarray, seconds: float, max_tilt: float, fps: float = 15.0, seed: int = 0,
                noise_px: float = 0.5, focal_px: float = 600.0) -> list[Observation]:
    """A flat photo waved about in front of the camera: a new random pose every half second, smoothly joined."""
    rng = np.random.default_rng(seed)
    poses = waved(rng, seconds, fps, random_photo_pose, max_tilt=max_tilt, max_eye_px=90.0)
    return [_observation(i, i / fps, photo_landmarks(photo, pose, focal_px), rng, noise_px)
            for i, pose in enumerate(poses)]


def waved(rng: np.random.Generator, seconds: float, fps: float, pick, **limits: float) -> list[PhotoPose]:
    """A pose a frame for a photo waved about: ``pick(rng, **limits)`` gives a new pose every half second, and
    the frames between move smoothly from one to the next."""
    keys = [pick(rng, **limits)]
    for _ in range(int(seconds * 2) + 1):  # in half a second a hand moves a photo 1.5 eye distances, scales it 1.5x
        pose, last = pick(rng, **limits), keys[-1]
        eye_px = float(np.clip(pose.eye_px, last.eye_px / 1.5, last.eye_px * 1.5))
        step = np.clip(np.subtract(pose.centre, last.centre), -1.5 * eye_px, 1.5 * eye_px)
        keys.append(PhotoPose(pose.tilt, pose.axis, pose.roll, eye_px, tuple(last.centre + step)))
    poses = []
    for i in range(int(seconds * fps)):
        k, w = divmod(i / fps * 2, 1.0)
        a, b = keys[int(k)], keys[int(k) + 1]
        poses.append(PhotoPose(*(float(x + w * (y - x)) for x, y in zip(
            (a.tilt, a.axis, a.roll, a.eye_px), (b.tilt, b.axis, b.roll, b.eye_px))),
            tuple(x + w * (y - x) for x, y in zip(a.centre, b.centre))))
    return poses


# -- videos of a photo attack ---------------------------------------------------------------------------------------
ATTACKS = ("still", "moved", "tilted")


def photo_attack(photo_rgb: np.ndarray, photo_points: np.ndarray, kind: str, seconds: float = 8.0,
                 fps: float = 15.0, seed: int = 0, focal_px: float = 600.0) -> list[np.ndarray]:
    """RGB frames of a printed photo held in front of a webcam: ``still`` repeats one frame exactly (a frozen
    feed); ``moved`` shifts, scales and rolls it by hand; ``tilted`` also tilts it up to 10 degrees (perspective).
    A camera's noise and a drifting exposure are added to every frame but the still ones."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(rng.integers(40, 200, (FRAME_SIZE[1] // 8, FRAME_SIZE[0] // 8, 3), np.uint8),
                                  (3, 3), 0)
    background = cv2.resize(background, FRAME_SIZE, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    border = 12
    printed = cv2.copyMakeBorder(photo_rgb, border, border, border, border, cv2.BORDER_CONSTANT, value=(245,) * 3)
    h, w = printed.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64) - border
    poses = waved(rng, seconds, fps, random_photo_pose, max_tilt=10.0 if kind == "tilted" else 0.0,
                  min_eye_px=30.0, max_eye_px=60.0, max_roll=15.0)
    if kind == "still":
        poses = poses[:1] * len(poses)
    frames = []
    for i, pose in enumerate(poses):
        target = hold_photo(corners, photo_points, pose, focal_px)
        matrix = cv2.getPerspectiveTransform((corners + border).astype(np.float32), target.astype(np.float32))
        layer = cv2.warpPerspective(printed, matrix, FRAME_SIZE, flags=cv2.INTER_LINEAR).astype(np.float32)
        mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, FRAME_SIZE)[..., None]
        frame = background * (1 - mask) + layer * mask
        if kind != "still":
            gain = 1.0 + 0.15 * math.sin(2 * math.pi * i / (fps * 3))
            frame = frame * gain + rng.normal(0, 3.0, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


def frame_observations(frames: list[np.ndarray], fps: float = 15.0) -> list[Observation]:
    """Observations of in-memory frames, as the live path makes them (Haar tracking + dlib landmarks)."""
    tracker = FaceTracker()
    return [observe(i, i / fps, rgb, tracker.prepare(rgb)) for i, rgb in enumerate(frames)]
