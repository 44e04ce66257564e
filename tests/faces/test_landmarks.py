"""Eye alignment: landmarks on real faces, eyes level and at their places in the crop, the box-crop fallback."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceverify.faces.landmarks import EYE_LEFT, EYE_RIGHT, Landmarks, find_landmarks
from faceverify.faces.pipeline import CROP_SIZE, crop_face, detect_faces, prepare, prepare_file, read_image


def _sample(lfw_dir, count: int = 20) -> list:
    """Reproducibly chosen LFW images in which the Haar detector finds a face (it does in about 98%)."""
    files = sorted(lfw_dir.glob("*/*_0001.jpg"))
    chosen = [files[i] for i in np.random.default_rng(7).choice(len(files), 2 * count, replace=False)]
    return [path for path in chosen if detect_faces(read_image(path))][:count]


def test_landmarks_are_found_where_the_eyes_and_nose_are(lfw_dir):
    for path in _sample(lfw_dir):
        rgb = read_image(path)
        box = detect_faces(rgb)[0]
        landmarks = find_landmarks(rgb, box)
        assert landmarks is not None, path
        x, y, w, h = box
        assert landmarks.left_eye[0] < landmarks.nose[0] < landmarks.right_eye[0], path  # nose between the eyes
        assert max(landmarks.left_eye[1], landmarks.right_eye[1]) < landmarks.nose[1] < y + h, path  # and below
        assert 0.25 < landmarks.eye_distance / w < 0.6, path


def test_aligned_crops_have_level_eyes_at_their_places(lfw_dir):
    """Landmarks found again on the aligned crop (upscaled 2x) sit within 2 px of the targets, eyes level."""
    checked = 0
    for path in _sample(lfw_dir):
        face = prepare_file(path)
        assert face.aligned and face.pixels.shape == (CROP_SIZE, CROP_SIZE, 3), path
        big = cv2.resize(face.pixels, (2 * CROP_SIZE, 2 * CROP_SIZE), interpolation=cv2.INTER_CUBIC)
        boxes = detect_faces(big)
        if not boxes:  # the tight crop can defeat the Haar detector; most are found
            continue
        again = find_landmarks(big, boxes[0])
        assert again is not None, path
        left, right = again.left_eye / 2, again.right_eye / 2
        assert np.abs(left - np.multiply(EYE_LEFT, CROP_SIZE)).max() < 2.0, (path, left)
        assert np.abs(right - np.multiply(EYE_RIGHT, CROP_SIZE)).max() < 2.0, (path, right)
        checked += 1
    assert checked >= 15


def test_a_rotated_and_scaled_face_comes_out_upright_and_the_same_size(lfw_dir):
    path = _sample(lfw_dir, 1)[0]
    rgb = read_image(path)
    upright = prepare(rgb).pixels.astype(np.float32)
    tilted = cv2.warpAffine(rgb, cv2.getRotationMatrix2D((125, 125), 12, 1.6), (400, 400))
    turned = prepare(tilted)
    assert turned.aligned
    # the same face, aligned: far closer to the upright crop than the tilted image's plain box crop is
    box_crop = _box_crop(tilted, turned.box)
    aligned_error = np.abs(turned.pixels.astype(np.float32) - upright).mean()
    box_error = np.abs(box_crop.astype(np.float32) - upright).mean()
    assert aligned_error < box_error / 2, (aligned_error, box_error)


def _box_crop(rgb, box):
    from faceverify.faces.pipeline import MARGIN, crop, square_around

    return crop(rgb, square_around(box, MARGIN, rgb.shape))


@pytest.mark.parametrize("points, reason", [
    ([[70, 40], [60, 40], [40, 40], [50, 40], [55, 20]], "nose above the eyes (upside down)"),
    ([[53, 40], [52, 40], [48, 40], [47, 40], [50, 55]], "eyes nearly on top of each other"),
    ([[60, 70], [55, 60], [40, 30], [45, 40], [40, 60]], "eye line rolled by 60 degrees"),
])
def test_implausible_landmarks_are_refused(points, reason):
    assert not Landmarks(np.array(points, np.float32)).plausible((20, 10, 60, 60)), reason


def test_where_landmarks_fail_the_box_crop_is_used_and_the_face_says_so(lfw_dir):
    rgb = read_image(_sample(lfw_dir, 1)[0])
    x, y, w, h = detect_faces(rgb)[0]
    flat = (x, y + h // 2, w, max(4, h // 12))  # a box no face fits: the points put the nose on the eye line
    face = crop_face(rgb, flat)
    assert face.face_found and not face.aligned and face.landmarks is None


def test_without_a_face_the_centre_is_cropped_unaligned():
    rgb = np.full((120, 160, 3), 128, np.uint8)
    face = prepare(rgb)
    assert not face.face_found and not face.aligned
