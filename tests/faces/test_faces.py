"""The one preprocessing path: decoding, colour order, face crop, fallback, scaling."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import noise_image, write_image
from faceverify.errors import ImageError
from faceverify.faces.pipeline import (
    CROP_SIZE,
    FaceTracker,
    centre_square,
    decode_image,
    detect_faces,
    encode_png,
    prepare,
    prepare_file,
    read_image,
    square_around,
    to_input,
)


def _encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


def test_colour_order_is_rgb():
    bgr = np.zeros((40, 40, 3), np.uint8)
    bgr[..., 2] = 255  # red in OpenCV's BGR order
    rgb = decode_image(_encode(bgr))
    assert rgb.dtype == np.uint8 and rgb.shape == (40, 40, 3)
    assert tuple(rgb[0, 0]) == (255, 0, 0)


@pytest.mark.parametrize(
    "image, expected",
    [
        (np.full((40, 40), 77, np.uint8), (77, 77, 77)),  # grey
        (np.full((40, 40, 4), (10, 20, 30, 0), np.uint8), (30, 20, 10)),  # BGRA: alpha dropped
        (np.full((40, 40, 3), (256 * 10, 256 * 20, 256 * 30), np.uint16), (30, 20, 10)),  # 16-bit
    ],
    ids=["grey", "alpha", "16-bit"],
)
def test_grey_alpha_and_16_bit_become_8_bit_rgb(image, expected):
    rgb = decode_image(_encode(image))
    assert rgb.dtype == np.uint8 and rgb.shape == (40, 40, 3)
    assert tuple(rgb[5, 5]) == expected


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"hello, I am text", "not an image"),
        (_encode(noise_image(0), ".jpg")[:300], "truncated JPEG"),
        (_encode(np.zeros((1, 1, 3), np.uint8)), "too small"),
    ],
    ids=["zero-byte", "text", "truncated-jpeg", "1x1"],
)
def test_unusable_images_raise_one_clear_error(data, message):
    with pytest.raises(ImageError, match=message):
        decode_image(data, "probe.jpg")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="File not found"):
        read_image(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="folder"):
        read_image(tmp_path)


def test_square_stays_inside_the_image():
    assert square_around((0, 0, 50, 50), 0.2, (100, 200, 3)) == (0, 0, 70, 70)
    assert square_around((180, 80, 20, 20), 0.5, (100, 200, 3)) == (160, 60, 40, 40)  # pushed back inside
    assert square_around((0, 0, 300, 300), 0.5, (100, 200, 3))[2] == 100  # shrunk to fit
    assert centre_square((100, 200, 3), 0.5) == (75, 25, 50, 50)


def test_no_face_gives_a_centre_crop_and_says_so():
    image = noise_image(1, 200)
    face = prepare(image)
    assert not face.face_found and face.box is None
    assert face.pixels.shape == (CROP_SIZE, CROP_SIZE, 3) and face.pixels.dtype == np.uint8
    x, y, side, _ = centre_square(image.shape)
    expected = cv2.resize(image[y : y + side, x : x + side], (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(face.pixels, expected)


def test_real_face_is_found_and_cropped_around_it(lfw_dir):
    face = prepare_file(lfw_dir / "Colin_Powell" / "Colin_Powell_0001.jpg")
    assert face.face_found
    x, y, w, h = face.box
    assert 60 <= w <= 180 and abs((x + w / 2) - 125) < 30 and abs((y + h / 2) - 125) < 40  # LFW faces are centred
    assert face.pixels.shape == (CROP_SIZE, CROP_SIZE, 3)


def test_face_is_found_at_any_image_size(lfw_dir):
    """A large frame is searched at reduced size; the box comes back in the frame's own pixels."""
    rgb = read_image(lfw_dir / "Colin_Powell" / "Colin_Powell_0001.jpg")
    small = prepare(rgb).box
    big = prepare(cv2.resize(rgb, (1000, 1000))).box
    assert big is not None
    (bx, by, bw, _), (sx, sy, sw, _) = big, small
    assert abs(bw - 4 * sw) <= 0.15 * 4 * sw  # within one step of the detector's scale pyramid
    assert abs((bx + bw / 2) - 4 * (sx + sw / 2)) <= 0.05 * 4 * sw
    assert abs((by + bw / 2) - 4 * (sy + sw / 2)) <= 0.05 * 4 * sw


def test_png_round_trip_is_lossless(tmp_path):
    pixels = noise_image(2, CROP_SIZE)
    path = tmp_path / "crop.png"
    path.write_bytes(encode_png(pixels))
    np.testing.assert_array_equal(read_image(path), pixels)


def test_network_input_is_float_in_unit_range():
    x = to_input(np.array([[[0, 128, 255]]], np.uint8))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[[0.0, 128 / 255, 1.0]]])


def test_written_file_goes_through_the_same_path(tmp_path):
    path = write_image(tmp_path / "x.bmp", noise_image(3, 64))
    assert prepare_file(path).pixels.shape == (CROP_SIZE, CROP_SIZE, 3)


def test_tracker_follows_a_moving_face_and_finds_it_again(lfw_dir):
    """A face moving across a 640x480 stream: found near its last place, lost on an empty frame, found again."""
    face = read_image(lfw_dir / "Colin_Powell" / "Colin_Powell_0001.jpg")
    tracker = FaceTracker()
    for step, left in enumerate(range(40, 360, 40)):
        frame = np.full((480, 640, 3), 90, np.uint8)
        frame[100:350, left : left + 250] = face
        tracked = tracker.find(frame)
        (full, *_) = detect_faces(frame)
        assert tracked is not None and max(abs(a - b) for a, b in zip(tracked, full)) <= 0.2 * full[2], step
    assert tracker.find(np.full((480, 640, 3), 90, np.uint8)) is None
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[200:450, 20:270] = face
    assert tracker.prepare(frame).face_found
