"""Every error a user can cause: one clear message (one line on stderr, exit 2, no traceback), nothing changed
on disk. Usable images (alpha, grey, 16-bit, very large, rotated by EXIF, with trailing bytes) are converted and
used, not refused.

The command line runs in-process (fast) and, for two cases, as the installed ``faceverify`` script. Each home is
snapshotted (paths, sizes, mtimes, modes, hashes) before and after a failing command.
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceverify.capture.camera import FrameSource
from faceverify.enrollment.enroll import enroll
from faceverify.errors import CameraError, ImageError
from faceverify.faces import pipeline as faces
from faceverify.home.store import Store
from helpers import (
    assert_one_line_error,
    encode,
    lfw_images,
    lfw_style_folder,
    make_tgz,
    noise_bgr,
    run_cli,
    run_script,
    save_random_model,
    snapshot,
    write,
)

LARGE_SIDE = 8000


# -- fixtures ----------------------------------------------------------------------------------------------------
@pytest.fixture
def home(tmp_path: Path, capsys) -> Path:
    """A home with one person (Ada: an anchor and a positive, noise images) and 8 LFW-style negatives."""
    home = tmp_path / "home"
    images = [write(tmp_path / "in" / f"ada{i}.png", encode(noise_bgr(i))) for i in range(2)]
    assert run_cli(capsys, "--home", home, "enroll", "Ada", "--from", *images)[0] == 0
    lfw = lfw_style_folder(tmp_path / "neg")
    assert run_cli(capsys, "--home", home, "import-lfw", lfw)[0] == 0
    return home


@pytest.fixture(scope="session")
def model_file(tmp_path_factory) -> Path:
    """An untrained model, saved once per session (about 150 MB) and copied where a test needs one."""
    return save_random_model(tmp_path_factory.mktemp("model") / "siamese.keras")


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    """A good image to verify with."""
    return write(tmp_path / "probe.png", encode(noise_bgr(99)))


def _face_bgr() -> np.ndarray:
    """A real face (LFW, read in place), or skip."""
    return cv2.imread(str(lfw_images("Colin_Powell", 1)[0]), cv2.IMREAD_COLOR)


# -- unusable images ----------------------------------------------------------------------------------------------
def _bad_images(folder: Path) -> dict[str, Path]:
    whole = encode(noise_bgr(7, 200), ".jpg")
    return {
        "zero-byte": write(folder / "zero.jpg", b""),
        "text-as-jpg": write(folder / "notes.jpg", b"these are my notes, not a photo\n"),
        "truncated-jpeg": write(folder / "cut.jpg", whole[: len(whole) // 2]),
        "1x1": write(folder / "dot.png", encode(np.zeros((1, 1, 3), np.uint8))),
    }


BAD_IMAGE_MESSAGES = {"zero-byte": "empty", "text-as-jpg": "not an image", "truncated-jpeg": "truncated",
                      "1x1": "too small"}


@pytest.mark.parametrize("case", sorted(BAD_IMAGE_MESSAGES))
def test_unusable_image_is_refused_with_one_line_and_nothing_written(case, home, tmp_path, capsys):
    bad = _bad_images(tmp_path / "bad")[case]
    before = snapshot(home)
    for command in (["enroll", "Ada", "--from", bad], ["enroll", "Newcomer", "--from", bad], ["verify", "Ada", bad],
                    ["identify", bad]):
        status, out, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, BAD_IMAGE_MESSAGES[case], bad.name)
        assert out == ""
        assert snapshot(home) == before, command
    with pytest.raises(ImageError, match=BAD_IMAGE_MESSAGES[case]):
        faces.prepare_file(bad)


def test_one_bad_file_named_with_good_ones_stops_the_whole_enrollment(home, tmp_path, capsys):
    good = write(tmp_path / "good.png", encode(noise_bgr(50)))
    bad = _bad_images(tmp_path / "bad")["truncated-jpeg"]
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", good, bad)
    assert_one_line_error(status, err, "truncated")
    assert snapshot(home) == before


def test_missing_file_and_folder_without_images(home, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    before = snapshot(home)
    for path, phrase in ((tmp_path / "nope.jpg", "not found"), (tmp_path / "empty", "No images")):
        status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", path)
        assert_one_line_error(status, err, phrase)
    assert snapshot(home) == before


def test_folder_mixing_good_and_bad_files_keeps_the_good_and_counts_the_bad(tmp_path, capsys):
    folder = tmp_path / "mixed"
    for i in range(3):
        write(folder / f"good{i}.png", encode(noise_bgr(20 + i)))
    write(folder / "sub" / "good3.jpg", encode(noise_bgr(23), ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 100]))
    write(folder / "copy_of_good0.png", encode(noise_bgr(20)))  # the same image again: stored once
    _bad_images(folder)  # 4 unusable files among them
    write(folder / "README.txt", b"not an image suffix: not even looked at")
    home = tmp_path / "home"
    status, out, err = run_cli(capsys, "--home", home, "enroll", "Mix", "--from", folder)
    assert status == 0, err
    assert "skipped 4 unreadable files" in out
    store = Store(home)
    stored = store.images("Mix", "anchor") + store.images("Mix", "positive")
    assert len(stored) == 4
    assert [(p.anchors, p.positives) for p in store.people()] == [(2, 2)]
    # The library reports the duplicate and every skipped file with its reason.
    result = enroll(Store(tmp_path / "home2"), "Mix", [folder])
    assert sum(result.added.values()) == 4 and result.already_there == 1
    assert sorted(Path(s.split(" ")[0]).name for s in result.skipped) == ["cut.jpg", "dot.png", "notes.jpg", "zero.jpg"]


def test_folder_of_only_bad_files_is_one_error(tmp_path, capsys):
    folder = tmp_path / "bad"
    _bad_images(folder)
    home = tmp_path / "home"
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", folder)
    assert_one_line_error(status, err, "None of the 4 image files could be read")
    assert snapshot(home) == {}


def test_enrolling_the_same_image_again_adds_nothing(tmp_path):
    store = Store(tmp_path / "home")
    image = write(tmp_path / "a.png", encode(noise_bgr(1)))
    assert enroll(store, "Ada", [image]).added == {"anchor": 1, "positive": 0}
    again = enroll(store, "Ada", [image])
    assert again.added == {"anchor": 0, "positive": 0} and again.already_there == 1  # not also a "positive"


# -- usable images -------------------------------------------------------------------------------------------------
def _usable_images(folder: Path) -> dict[str, Path]:
    face = _face_bgr()
    bgra = cv2.cvtColor(face, cv2.COLOR_BGR2BGRA)
    bgra[..., 3] = np.linspace(0, 255, face.shape[1], dtype=np.uint8)[None, :]  # a real, varying alpha
    return {
        "alpha": write(folder / "alpha.png", encode(bgra)),
        "grey": write(folder / "grey.png", encode(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY))),
        "16-bit": write(folder / "deep.png", encode(face.astype(np.uint16) * 257)),
        "16-bit-alpha": write(folder / "deep_alpha.png",
                                   encode(cv2.cvtColor(face, cv2.COLOR_BGR2BGRA).astype(np.uint16) * 257)),
        "trailing-bytes": write(folder / "motion.jpg", encode(face, ".jpg") + b"\x00\x00ftypmp42" + bytes(5000)),
    }


@pytest.mark.parametrize("case", ["alpha", "grey", "16-bit", "16-bit-alpha", "trailing-bytes"])
def test_usable_image_is_converted_and_enrolled(case, tmp_path, capsys):
    path = _usable_images(tmp_path / "in")[case]
    face = faces.prepare_file(path)
    assert face.pixels.shape == (100, 100, 3) and face.pixels.dtype == np.uint8
    assert face.face_found, "the face in the converted image is found"
    home = tmp_path / "home"
    status, out, err = run_cli(capsys, "--home", home, "enroll", "Bea", "--from", path)
    assert status == 0, err
    [stored] = Store(home).images("Bea", "anchor")
    crop = cv2.imread(str(stored), cv2.IMREAD_UNCHANGED)
    assert crop.shape == (100, 100, 3) and crop.dtype == np.uint8


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from Linux's /proc")
def test_8000_pixel_image_is_enrolled_quickly_and_in_little_memory(tmp_path, capsys):
    big = cv2.resize(_face_bgr(), (LARGE_SIDE, LARGE_SIDE), interpolation=cv2.INTER_LINEAR)
    path = write(tmp_path / "huge.jpg", encode(big, ".jpg"))
    del big
    # Measured in a process of its own: peak memory (VmHWM: this process's own peak, unlike ru_maxrss, which
    # starts from the parent's) and time of preparing that one image.
    code = textwrap.dedent("""
        import sys, time
        from faceverify.faces.pipeline import prepare_file

        def peak_kb():
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

        base = peak_kb()
        start = time.perf_counter()
        face = prepare_file(sys.argv[1])
        print(time.perf_counter() - start, peak_kb() - base, face.face_found, face.pixels.shape)
    """)
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seconds, extra_kb, found, shape = done.stdout.split(maxsplit=3)
    print(f"8000x8000 JPEG: prepared in {float(seconds):.2f} s, {int(extra_kb) // 1024} MB above start-up")
    assert found == "True" and shape.strip() == "(100, 100, 3)"
    assert int(extra_kb) < 150 * 1024, "decoding 8000x8000 at full size costs ~400 MB; it is decoded reduced"
    assert float(seconds) < 5.0
    status, _, err = run_cli(capsys, "--home", tmp_path / "home", "enroll", "Cy", "--from", path)
    assert status == 0, err
    [stored] = Store(tmp_path / "home").images("Cy", "anchor")
    assert cv2.imread(str(stored), cv2.IMREAD_UNCHANGED).shape == (100, 100, 3)


def test_exif_orientation_is_applied():
    image = np.zeros((60, 120, 3), np.uint8)
    image[:, :60] = (0, 0, 255)  # left half red (BGR)
    jpeg = encode(image, ".jpg")
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0)  # Orientation = 6: rotate 90 degrees clockwise to view
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)
    app1 = b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff
    rgb = faces.decode_image(jpeg[:2] + app1 + jpeg[2:])
    assert rgb.shape == (120, 60, 3)
    assert rgb[5, 30, 0] > 200 and rgb[-5, 30, 0] < 50  # the red half is now on top


def test_jpeg_cut_anywhere_is_truncated_and_whole_ones_are_not():
    jpeg = encode(noise_bgr(3, 64), ".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert faces.decode_image(jpeg + b"\x00" * 64).shape == (64, 64, 3)  # zero padding after the end is fine
    for cut in range(2, len(jpeg) - 1, 37):
        with pytest.raises(ImageError, match="truncated"):
            faces.decode_image(jpeg[:cut], "cut.jpg")


def test_image_declaring_gigapixels_is_refused_before_decoding(home, tmp_path, capsys):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    bomb = write(tmp_path / "bomb.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                 + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", bomb)
    assert_one_line_error(status, err, "too large", "60000x60000")
    assert snapshot(home) == before


# -- names and people ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, phrase", [("../evil", "Invalid name"), ("a/b", "Invalid name"),
                                          ("", "cannot be empty"), ("x" * 300, "at most 64 characters")],
                         ids=["dotdot-evil", "slash", "empty", "300-chars"])
def test_bad_name_is_refused_and_nothing_is_written_anywhere(name, phrase, home, tmp_path, probe, capsys):
    before, around = snapshot(home), snapshot(tmp_path)
    for command in (["enroll", name, "--from", probe], ["verify", name, probe], ["people", "remove", name]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, phrase)
    assert snapshot(home) == before
    assert snapshot(tmp_path) == around  # nothing escaped the home either
    assert not any("evil" in p.name for p in tmp_path.rglob("*"))


def test_unknown_person(home, probe, capsys):
    before = snapshot(home)
    for command in (["verify", "Nobody", probe], ["people", "remove", "Nobody"]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, "Unknown person 'Nobody'", "Ada")
    assert snapshot(home) == before


def test_home_that_is_a_file(tmp_path, probe, capsys):
    home = write(tmp_path / "home", b"I am a file")
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", probe)
    assert_one_line_error(status, err, "is a file")
    assert home.read_bytes() == b"I am a file"


def test_settings_file_that_is_not_an_object_counts_as_empty(tmp_path):
    store = Store(tmp_path / "home").ensure()
    store.settings_path.write_text("[1, 2, 3]")
    assert store.load_settings() == {}
    assert store.save_settings(log_failed_crops=True) == {"log_failed_crops": True}


# -- the model -----------------------------------------------------------------------------------------------------
def test_no_model_of_its_own_and_no_shipped_model(home, probe, capsys, monkeypatch, tmp_path):
    from faceverify.model import shipped

    monkeypatch.setattr(shipped, "asset_dir", lambda: tmp_path / "assets-lost")
    before = snapshot(home)
    for command in (["verify", "Ada", probe], ["identify", probe]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, "the shipped generic model is missing")
    assert snapshot(home) == before


def test_truncated_model_is_reported_damaged_and_left_as_it_was(home, probe, model_file, capsys):
    data = model_file.read_bytes()
    model = write(Store(home).model_path, data[: len(data) // 2])
    os.chmod(model, 0o600)
    os.chmod(model.parent, 0o700)
    before = snapshot(home)
    for command in (["verify", "Ada", probe], ["identify", probe]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, "damaged", str(model))
    assert snapshot(home) == before  # not deleted, not "repaired", no cache or log written
    # The same through the installed script: one line on stderr (no TensorFlow chatter), exit 2.
    done = run_script("--home", home, "verify", "Ada", probe, timeout=180)
    assert_one_line_error(done.returncode, done.stderr, "damaged")
    assert done.stdout == ""
    assert snapshot(home) == before


def test_script_prints_one_line_and_exits_2(home, tmp_path):
    bad = _bad_images(tmp_path / "bad")["zero-byte"]
    before = snapshot(home)
    done = run_script("--home", home, "enroll", "Ada", "--from", bad, timeout=120)
    assert done.stderr == f"faceverify: {bad} is empty (0 bytes)\n"
    assert done.returncode == 2 and done.stdout == ""
    assert snapshot(home) == before


# -- LFW archives --------------------------------------------------------------------------------------------------
def _archives(tmp_path: Path) -> dict[str, Path]:
    whole = make_tgz(lfw_style_folder(tmp_path / "src", people=3, per_person=3, seed=500), tmp_path / "lfw.tgz")
    data = whole.read_bytes()
    other = tmp_path / "other"
    write(other / "lfw" / "docs" / "manual.txt", b"not a face" * 100)  # a tar.gz, but not LFW
    return {
        "cut-short": write(tmp_path / "cut.tgz", data[: len(data) * 2 // 3]),
        "cut-in-header": write(tmp_path / "head.tgz", data[:15]),
        "not-lfw": make_tgz(other, tmp_path / "other.tgz"),
        "not-an-archive": write(tmp_path / "fake.tgz", b"just text pretending to be an archive\n" * 20),
        "missing": tmp_path / "nowhere.tgz",
    }


@pytest.mark.parametrize("case, phrase", [("cut-short", "truncated"), ("cut-in-header", "truncated"),
                                          ("not-lfw", "holds no LFW images"), ("not-an-archive", "not an LFW archive"),
                                          ("missing", "does not exist")])
def test_bad_lfw_archive_changes_nothing(case, phrase, home, tmp_path, capsys):
    archive = _archives(tmp_path / "archives")[case]
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "import-lfw", archive)
    assert status == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("faceverify: ") and phrase in last and str(archive) in last
    assert snapshot(home) == before  # negatives as they were, no staging folder left behind
    assert not list(home.glob(".import-*"))


def test_cut_short_archive_error_is_the_only_line(home, tmp_path, capsys):
    status, _, err = run_cli(capsys, "--home", home, "import-lfw", _archives(tmp_path / "archives")["cut-short"])
    assert_one_line_error(status, err, "truncated")


# -- cameras -------------------------------------------------------------------------------------------------------
def test_camera_index_that_does_not_exist():
    with pytest.raises(CameraError, match="No camera at index 97"):
        FrameSource(97).open()


def test_video_file_that_is_not_a_video(tmp_path):
    fake = write(tmp_path / "holiday.mp4", b"this is a text file, not a video\n" * 10)
    with pytest.raises(CameraError, match="not a video") as error:
        FrameSource(str(fake)).open()
    assert "\n" not in str(error.value)
    with pytest.raises(CameraError, match="File not found"):
        FrameSource(str(tmp_path / "missing.mp4")).open()


# -- command-line arguments (fixes needed in cli.py / training.py) -------------------------------------------------
def test_usage_error_is_one_line(home, capsys):
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada")  # --from missing
    assert_one_line_error(status, err, "--from")


@pytest.mark.parametrize("option", [["--epochs", "0"], ["--batch-size", "0"], ["--steps-per-epoch", "0"]])
def test_training_options_out_of_range_are_refused_before_anything_is_written(option, home, tmp_path, capsys):
    more = [write(tmp_path / "more" / f"ada{i}.png", encode(noise_bgr(60 + i))) for i in range(2)]
    assert run_cli(capsys, "--home", home, "enroll", "Ada", "--from", *more)[0] == 0  # enough to train on
    model = write(Store(home).model_path, b"stands for the trained model")
    os.chmod(model.parent, 0o700)
    os.chmod(model, 0o600)
    before = snapshot(home)
    try:
        status, _, err = run_cli(capsys, "--home", home, "train", *option)
    except Exception as exc:  # a traceback: what this test is about
        pytest.fail(f"train {' '.join(option)} raised {type(exc).__name__}: {exc}")
    assert snapshot(home) == before
    assert_one_line_error(status, err, option[0])


@pytest.mark.parametrize("option", [["--detection-threshold", "1.5"], ["--verification-threshold", "nan"]])
def test_threshold_out_of_range_is_refused(option, home, probe, model_file, capsys):
    write(Store(home).model_path, model_file.read_bytes())
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "verify", "Ada", probe, *option)
    assert snapshot(home) == before
    assert_one_line_error(status, err, option[0].lstrip("-").split("-")[0])
