"""Five facial landmarks (eye corners, base of the nose) on a detected face, and the eye-aligned crop they give.

The landmarks come from dlib's 5-point shape predictor (``shape_predictor_5_face_landmarks.dat``, public domain,
shipped in the ``face-recognition-models`` package; about 1 ms a face). It is run on the Haar box that
:mod:`~faceverify.faces.pipeline` finds; landmarks whose geometry cannot be a face's are refused, and the caller
falls back to the plain box crop.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from faceverify.errors import FaceverifyError

# Where the eye centres land in the crop, as shares of its side: level, 0.3 apart, 0.4 from the top. This keeps
# about the framing of the Haar box crop (brows to chin), with scale set by the eyes instead of the detector's box.
EYE_LEFT = (0.35, 0.40)
EYE_RIGHT = (0.65, 0.40)
EYE_SPAN = (0.2, 0.75)  # plausible eye distance as a share of the detector's box side
MAX_ROLL_DEGREES = 45.0

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Landmarks:
    """dlib's 5 points, float32 (5, 2) in image pixels: 0, 1 = the image-right eye's outer and inner corners,
    2, 3 = the image-left eye's outer and inner corners, 4 = the base of the nose."""

    points: np.ndarray

    @property
    def left_eye(self) -> np.ndarray:
        """Centre of the eye on the image's left (the subject's right eye)."""
        return self.points[2:4].mean(axis=0)

    @property
    def right_eye(self) -> np.ndarray:
        """Centre of the eye on the image's right (the subject's left eye)."""
        return self.points[0:2].mean(axis=0)

    @property
    def nose(self) -> np.ndarray:
        return self.points[4]

    @property
    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.right_eye - self.left_eye))

    def plausible(self, box: Box) -> bool:
        """Whether these points can be a roughly frontal face in ``box``: eyes apart, not upside down, nose below."""
        span = self.eye_distance / max(box[2], 1)
        if not EYE_SPAN[0] <= span <= EYE_SPAN[1]:
            return False
        dx, dy = self.right_eye - self.left_eye
        if abs(np.degrees(np.arctan2(dy, dx))) > MAX_ROLL_DEGREES:
            return False
        middle = (self.left_eye + self.right_eye) / 2
        down = np.array([-dy, dx]) / max(self.eye_distance, 1e-6)  # perpendicular to the eye line, pointing down
        return float(np.dot(self.nose - middle, down)) > 0.1 * self.eye_distance


@cache
def _model_path() -> str:
    try:
        import face_recognition_models
    except ImportError:
        raise FaceverifyError("The landmark model is missing: install the face-recognition-models package") from None
    return face_recognition_models.pose_predictor_five_point_model_location()


_local = threading.local()


def _predictor():
    """One dlib shape predictor per thread (cheap to load: 9 MB)."""
    predictor = getattr(_local, "predictor", None)
    if predictor is None:
        import dlib

        predictor = _local.predictor = dlib.shape_predictor(_model_path())
    return predictor


def find_landmarks(rgb: np.ndarray, box: Box) -> Landmarks | None:
    """The 5 landmarks of the face in ``box``, or None when they do not look like a face's."""
    import dlib

    x, y, w, h = (int(v) for v in box)
    shape = _predictor()(np.ascontiguousarray(rgb), dlib.rectangle(x, y, x + w, y + h))
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
    landmarks = Landmarks(points)
    return landmarks if landmarks.plausible(box) else None


def alignment(landmarks: Landmarks, size: int) -> np.ndarray:
    """The 2x3 similarity transform that puts the eye centres at EYE_LEFT and EYE_RIGHT of a ``size`` crop."""
    source = np.stack([landmarks.left_eye, landmarks.right_eye]).astype(np.float64)
    target = np.array([EYE_LEFT, EYE_RIGHT], dtype=np.float64) * size
    (sx, sy), (tx, ty) = source[1] - source[0], target[1] - target[0]
    # The complex ratio of the two eye vectors is the rotation and scale: z = a + ib maps (x, y) to (ax - by, bx + ay).
    z = complex(tx, ty) / complex(sx, sy)
    a, b = z.real, z.imag
    offset = target[0] - np.array([a * source[0][0] - b * source[0][1], b * source[0][0] + a * source[0][1]])
    return np.array([[a, -b, offset[0]], [b, a, offset[1]]], dtype=np.float64)


def aligned_crop(rgb: np.ndarray, landmarks: Landmarks, size: int) -> np.ndarray:
    """The ``size`` x ``size`` crop with the eyes level and at their fixed places (uint8 RGB)."""
    matrix = alignment(landmarks, size)
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    if scale < 0.5:  # a large face: shrink with area averaging first, so the warp does not alias
        factor = scale * 2
        rgb = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        matrix = matrix.copy()
        matrix[:, :2] /= factor
    return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
