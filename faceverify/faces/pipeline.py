"""The one preprocessing path: decode any image, find the face, align it on its eyes, 100x100 RGB in [0, 1].

Every image that enters training or verification (webcam frame, enrolled image, LFW negative)
goes through :func:`prepare`, so the network never sees a difference in framing between sources.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceverify.errors import ImageError
from faceverify.faces.landmarks import Landmarks, aligned_crop, find_landmarks
from faceverify.files.inputs import check_pixels, read_file, shown

CROP_SIZE = 100
MARGIN = 0.15  # extra border around the detected face box, as a share of its side
FALLBACK_SHARE = 0.6  # side of the centred square used when no face is found, as a share of the short side
DETECT_MAX_SIDE = 480  # frames are searched for faces at most this large (speed)
# Haar search: measured on 600 random LFW images and the 109 frames of a webcam-style video, these find
# a face in 98% and 100% of them in about 25 ms a frame on 2 loaded cores (1.1 and 5: 99%, 100%, 35 ms).
# Histogram equalisation is left out: it lost the face in 98 of the 109 video frames.
SCALE_STEP = 1.15
MIN_NEIGHBOURS = 4
TRACK_REGION = 2.0  # a tracked face is searched for in a square this many face widths wide around its last box
TRACK_FACE_PX = 48  # ... resized so that the face is about this many pixels wide
MIN_IMAGE_SIDE = 32
JPEG_DECODE_SIDE = 2000  # larger JPEGs are decoded at 1/2, 1/4 or 1/8 scale, their long side still >= this
_JPEG_START = b"\xff\xd8"
# Keeps grey and 16-bit as they are (converted below), drops alpha, and applies the EXIF orientation
# (IMREAD_UNCHANGED would ignore it and leave phone photos lying on their side).
_DECODE_FLAGS = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
_REDUCED_FLAGS = {1: _DECODE_FLAGS, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}

Box = tuple[int, int, int, int]  # x, y, width, height in the source image's pixels


@dataclass(frozen=True)
class Face:
    """A prepared face: ``pixels`` is 100x100x3 uint8 RGB; ``box`` is the detected face (None if not found);
    ``landmarks`` its eye and nose points (None where they were not found: then the crop is the plain box crop)."""

    pixels: np.ndarray
    box: Box | None
    landmarks: Landmarks | None = None

    @property
    def face_found(self) -> bool:
        return self.box is not None

    @property
    def aligned(self) -> bool:
        """Whether the crop is eye-aligned (else it is the detector's box with a margin, or the image's centre)."""
        return self.landmarks is not None


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image bytes (JPEG, PNG, BMP, TIFF, WebP, ...) to 8-bit RGB; grey, alpha and 16-bit images are converted.

    The size an image declares is checked before it is decoded (a few KB can declare gigapixels, see
    :func:`~faceverify.files.inputs.check_pixels`); very large JPEGs are decoded at a reduced scale (fast, little
    memory).
    """
    if not data:
        raise ImageError(f"{shown(name)} is empty (0 bytes)")
    flags, reduction = _DECODE_FLAGS, 1
    if data.startswith(_JPEG_START) and (size := _jpeg_size(data, name)) is not None:
        reduction = _jpeg_reduction(*size)
        flags = _REDUCED_FLAGS[reduction]
    check_pixels(data, name, reduction=reduction)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:  # OpenCV refuses (rather than returns None for) images over its own pixel limit
        image = None
    if image is None or image.size == 0:
        raise ImageError(f"{shown(name)} is not an image faceverify can read (JPEG, PNG, BMP, TIFF or WebP)")
    return to_rgb8(image, name)


def _jpeg_size(data: bytes, name: str) -> tuple[int, int] | None:
    """(width, height) of a complete JPEG; ImageError if it ends before its end-of-image marker.

    Walks the marker segments and the entropy-coded scans, so a JPEG followed by other bytes (e.g. a
    phone's "motion photo") is whole, while one cut anywhere, even inside its header, is truncated.
    None where the structure is not understood: OpenCV then judges the file.
    """
    truncated = ImageError(f"{shown(name)} is a truncated JPEG: the file ends before the image does")
    size, pos, end = None, 2, len(data)
    while True:
        if pos + 2 > end:
            raise truncated
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            return size
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > end:
            raise truncated
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return None
        if pos + 2 + length > end:
            raise truncated
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and length >= 7:  # start of frame
            size = int.from_bytes(data[pos + 7 : pos + 9], "big"), int.from_bytes(data[pos + 5 : pos + 7], "big")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= end:
                    raise truncated
                following = data[pos + 1]
                if following == 0 or 0xD0 <= following <= 0xD7:  # stuffed byte or restart marker
                    pos += 2
                elif following == 0xFF:
                    pos += 1
                else:
                    break


def _jpeg_reduction(width: int, height: int) -> int:
    """1, 2, 4 or 8: the largest scale-down that keeps the long side >= JPEG_DECODE_SIDE (and the short one usable)."""
    for factor in (8, 4, 2):
        if max(width, height) // factor >= JPEG_DECODE_SIDE and min(width, height) // factor >= MIN_IMAGE_SIDE:
            return factor
    return 1


def read_image(path: Path) -> np.ndarray:
    """Read an image file as 8-bit RGB, with a clear message when it is missing, unreadable, not a regular file
    (a FIFO, a device) or too large."""
    return decode_image(read_file(Path(path), "image", ImageError), str(path))


def to_rgb8(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Convert an OpenCV image (BGR/BGRA/grey, 8/16-bit or float) to contiguous 8-bit RGB."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image.astype(np.float32) * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return check_side(np.ascontiguousarray(image), name)


def check_side(rgb: np.ndarray, name: str = "image") -> np.ndarray:
    """``rgb`` itself, or ImageError when it is too small to hold a face (an empty or 1x1 frame, a 20x20 file)."""
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_IMAGE_SIDE:
        raise ImageError(
            f"{shown(name)} is too small ({width}x{height}): faces need at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} "
            "pixels"
        )
    return rgb


_local = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    """One Haar cascade per thread (OpenCV's detector is not safe to share between threads)."""
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if cascade.empty():
            raise RuntimeError("OpenCV's Haar face cascade is missing: install opencv-python-headless 4.x")
        _local.cascade = cascade
    return cascade


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces in an RGB image, largest first, in the image's own pixel coordinates."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    return _search(rgb, (0, 0, width, height), scale, max(24, round(min(height, width) * scale) // 10))


def _search(rgb: np.ndarray, region: Box, scale: float, min_side: int, max_side: int = 0) -> list[Box]:
    """Haar search of ``region`` resized by ``scale``; boxes largest first, in the image's coordinates."""
    x, y, w, h = region
    grey = cv2.cvtColor(rgb[y : y + h, x : x + w], cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    found = _cascade().detectMultiScale(grey, scaleFactor=SCALE_STEP, minNeighbors=MIN_NEIGHBOURS,
                                        minSize=(min_side, min_side), maxSize=(max_side, max_side))
    boxes = [(x + round(bx / scale), y + round(by / scale), round(bw / scale), round(bh / scale))
             for bx, by, bw, bh in found]
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


class FaceTracker:
    """Finds the face in a stream of frames: near where it last was (a few ms), else in the whole frame.

    Not thread-safe: one tracker per stream.
    """

    def __init__(self) -> None:
        self.last: Box | None = None

    def find(self, rgb: np.ndarray) -> Box | None:
        """The face in this frame, or None."""
        if self.last is not None:
            side = self.last[2]
            scale = min(1.0, TRACK_FACE_PX / side)
            region = square_around(self.last, (TRACK_REGION - 1) / 2, rgb.shape)
            near = _search(rgb, region, scale, max(20, round(side * scale / 1.4)), round(side * scale * 1.4) + 1)
            if near:
                self.last = near[0]
                return self.last
        boxes = detect_faces(rgb)
        self.last = boxes[0] if boxes else None
        return self.last

    def prepare(self, rgb: np.ndarray, margin: float = MARGIN) -> Face:
        """:func:`prepare` for the next frame of the stream."""
        return crop_face(rgb, self.find(rgb), margin)


def square_around(box: Box, margin: float, shape: tuple[int, ...]) -> Box:
    """The square with ``margin`` around ``box``, moved (and if need be shrunk) to lie inside the image."""
    x, y, w, h = box
    side = min(round(max(w, h) * (1 + 2 * margin)), shape[0], shape[1])
    cx, cy = x + w / 2, y + h / 2
    left = int(min(max(round(cx - side / 2), 0), shape[1] - side))
    top = int(min(max(round(cy - side / 2), 0), shape[0] - side))
    return left, top, side, side


def centre_square(shape: tuple[int, ...], share: float = FALLBACK_SHARE) -> Box:
    """A centred square of ``share`` times the short side."""
    side = max(1, round(min(shape[:2]) * share))
    return (shape[1] - side) // 2, (shape[0] - side) // 2, side, side


def crop(rgb: np.ndarray, square: Box) -> np.ndarray:
    """Cut ``square`` out of the image and resize it to 100x100 (uint8 RGB)."""
    x, y, w, h = square
    region = rgb[y : y + h, x : x + w]
    interpolation = cv2.INTER_AREA if w > CROP_SIZE else cv2.INTER_LINEAR
    return cv2.resize(region, (CROP_SIZE, CROP_SIZE), interpolation=interpolation)


def crop_face(rgb: np.ndarray, box: Box | None, margin: float = MARGIN) -> Face:
    """The face in ``box`` aligned on its eyes; the box with a margin where landmarks fail; the image's centre
    when there is no box."""
    if box is None:
        return Face(crop(rgb, centre_square(rgb.shape)), None)
    landmarks = find_landmarks(rgb, box)
    if landmarks is None:
        return Face(crop(rgb, square_around(box, margin, rgb.shape)), box)
    return Face(aligned_crop(rgb, landmarks, CROP_SIZE), box, landmarks)


def prepare(rgb: np.ndarray, margin: float = MARGIN) -> Face:
    """Find the largest face and crop it with a margin; without a face, crop the centre (and say so)."""
    boxes = detect_faces(rgb)
    return crop_face(rgb, boxes[0] if boxes else None, margin)


def prepare_file(path: Path) -> Face:
    """:func:`prepare` for an image file."""
    return prepare(read_image(path))


def to_input(pixels: np.ndarray) -> np.ndarray:
    """uint8 crops (..., 100, 100, 3) to the network's float32 input in [0, 1]."""
    return pixels.astype(np.float32) / 255.0


def encode_png(pixels: np.ndarray) -> bytes:
    """Lossless PNG bytes of an RGB crop."""
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ImageError("could not encode the face crop as PNG")
    return buffer.tobytes()
