"""Hostile input, class 1: unbounded input. Pipes and devices where files belong, images that declare gigapixels in
every format OpenCV decodes, archives whose members inflate past what their headers say, JSON nested without end,
numbers past any range. Each is refused at once: exit 2, one line, no traceback, nothing written, bounded memory."""
from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from faceverify.files import inputs
from faceverify.home.store import Store
from helpers import assert_one_line_error, encode, noise_bgr, run_cli, snapshot, write

ROOT = Path(__file__).resolve().parents[2]
MEMORY_BOUND_MB = 1024  # the bound for any single input


def _cli_in_child(*args: str | os.PathLike, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """``faceverify ARGS`` in a child process of this tree: (its result, its peak resident memory in MB). A child
    that blocks (a FIFO opened for reading) fails the test by its timeout instead of hanging the suite."""
    code = ("import sys\nfrom faceverify.cli.commands import main\nstatus = main(sys.argv[1:])\n"
            "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1])\n"
            "sys.exit(status)\n")  # VmHWM: this program's peak (ru_maxrss would count the forking parent's)
    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    return done, peak_kb / 1024


@pytest.fixture
def fifo(tmp_path) -> callable:
    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        return path
    return make


# -- pipes and devices where a file belongs --------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ("people", "import", "{fifo:x.zip}"), ("import-lfw", "{fifo:lfw.tgz}"), ("enroll", "Ada", "--from", "{fifo:a.jpg}"),
    ("verify", "Ada", "--camera", "{fifo:clip.mp4}"), ("import-lfw", "x", "--people", "{fifo:people.txt}"),
    ("people", "import", "/dev/zero"), ("import-lfw", "/dev/zero"),
])
def test_a_pipe_or_device_where_a_file_belongs_is_refused_at_once(command, fifo, tmp_path):
    home = tmp_path / "home"
    Store(home).ensure().add_image("Ada", "positive", noise_bgr(1, 100))
    before = snapshot(home)
    args = [str(fifo(part[6:-1])) if part.startswith("{fifo:") else part for part in command]
    done, peak = _cli_in_child("--home", home, *args)
    assert_one_line_error(done.returncode, done.stderr)
    assert peak < MEMORY_BOUND_MB
    after = snapshot(home)
    if command[0] == "verify":  # the model loads while the camera starts: its runtime export is cached, nothing else
        after = {path: entry for path, entry in after.items() if path not in ("model", "model/shipped.tflite")}
    assert after == before


# -- images that declare more pixels than they hold, in every format ---------------------------------------------------
def _png_declaring(width: int, height: int) -> bytes:
    data = bytearray(encode(noise_bgr(0, 40), ".png"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(data[12:29]))  # the header's checksum, so that it reads as whole
    return bytes(data)


def _bmp_declaring(width: int, height: int) -> bytes:
    data = bytearray(encode(noise_bgr(0, 40), ".bmp"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(encode(noise_bgr(0, 40), ".jpg"))
    start = data.index(b"\xff\xc0")
    data[start + 5 : start + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _tiff_declaring(width: int, height: int) -> bytes:
    """A little-endian TIFF, uncompressed RGB, whose single strip is a few bytes long."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 3), (278, 4, 1, height), (279, 4, 1, 64)]
    body = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *entry) for entry in entries)
    return b"II*\x00" + struct.pack("<I", 8) + body + struct.pack("<I", 0) + bytes(64)


def _webp_declaring(width: int, height: int) -> bytes:
    """A real lossless WebP of one colour: a few KB for tens of megapixels (made once, briefly 3 bytes a pixel)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


BOMBS = {"png": _png_declaring(60000, 60000), "bmp": _bmp_declaring(60000, 60000),
         "jpeg": _jpeg_declaring(65000, 65000), "tiff": _tiff_declaring(30000, 30000),
         "webp": _webp_declaring(7000, 7000)}


@pytest.mark.parametrize("kind", BOMBS)
def test_an_image_declaring_gigapixels_is_refused_before_decoding_in_every_format(kind, tmp_path):
    image = write(tmp_path / f"bomb.{kind}", BOMBS[kind])
    done, peak = _cli_in_child("--home", tmp_path / "home", "enroll", "Ada", "--from", image)
    assert_one_line_error(done.returncode, done.stderr, "bomb", "too large")
    assert peak < MEMORY_BOUND_MB, f"{kind}: {peak:.0f} MB"
    assert not (tmp_path / "home" / "people").exists()


def test_the_size_every_format_declares_is_read_from_its_header():
    assert inputs.image_pixels(BOMBS["tiff"]) == (30000, 30000)
    assert inputs.image_pixels(BOMBS["png"]) == (60000, 60000)
    assert inputs.image_pixels(BOMBS["webp"]) == (7000, 7000) and len(BOMBS["webp"]) < 10_000


# -- archives whose members inflate past what they say -------------------------------------------------------------
class _Zeros(io.RawIOBase):
    """``size`` zero bytes, produced as read (never held in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def _zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip archive written by hand: each member (name, deflated bytes, CRC, size its headers claim)."""
    body, directory = b"", b""
    for name, deflated, crc, claimed in members:
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0, crc, len(deflated), claimed, len(name), 0)
        directory += (b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, len(body))
                      + name.encode())
        body += b"PK\x03\x04" + fields + name.encode() + deflated
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


def _deflate(chunk: bytes, repeat: int) -> tuple[bytes, int]:
    """``chunk`` repeated ``repeat`` times, raw-deflated, and its CRC (made piece by piece: little memory)."""
    compressor, crc, out = zlib.compressobj(9, zlib.DEFLATED, -15), 0, []
    for _ in range(repeat):
        out.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    return b"".join(out) + compressor.flush(), crc


def _lying_zip(path: Path, claimed: int, real_mb: int) -> Path:
    """A person archive whose one crop's headers claim ``claimed`` bytes and which inflates to ``real_mb`` MB."""
    member = f"anchor/{'0' * 64}.png"
    manifest = json.dumps({"format": "faceverify-person", "version": 1, "name": "Ada",
                           "images": [{"file": member, "role": "anchor", "sha256": "0" * 64}]}).encode()
    deflated, crc = _deflate(bytes(1 << 20), real_mb)
    manifest_deflated, manifest_crc = _deflate(manifest, 1)
    return _zip(path, [("manifest.json", manifest_deflated, manifest_crc, len(manifest)),
                       (member, deflated, crc, claimed)])


def test_a_zip_member_inflating_past_its_header_is_stopped_at_its_cap(tmp_path):
    archive = _lying_zip(tmp_path / "bomb.zip", claimed=1000, real_mb=256)
    done, peak = _cli_in_child("--home", tmp_path / "home", "people", "import", archive)
    assert_one_line_error(done.returncode, done.stderr)
    assert peak < MEMORY_BOUND_MB
    assert not (tmp_path / "home" / "people").exists()


def test_a_zip_with_a_huge_directory_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(12_000):
            archive.writestr(f"anchor/{index:064x}.png", b"")
    done, peak = _cli_in_child("--home", tmp_path / "home", "people", "import", path)
    assert_one_line_error(done.returncode, done.stderr, "directory is too large")


def test_an_lfw_member_larger_than_any_image_is_stopped_at_the_image_cap(tmp_path):
    archive = tmp_path / "lfw.tgz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("lfw/Big_Person/Big_Person_0001.jpg")
        info.size = 200 << 20
        tar.addfile(info, _Zeros(info.size))
    assert archive.stat().st_size < 2 << 20
    done, peak = _cli_in_child("--home", tmp_path / "home", "import-lfw", archive)
    assert_one_line_error(done.returncode, done.stderr, "larger than the 64 MB allowed")
    assert peak < MEMORY_BOUND_MB
    assert not (tmp_path / "home" / "negatives").exists()


def test_a_decompressing_stream_is_capped_by_what_comes_out():
    capped = inputs.CappedReader(_Zeros(10 << 20), 1 << 20, "stream", inputs.FaceverifyError)
    with pytest.raises(inputs.FaceverifyError, match="more than the 1 MB allowed"):
        while capped.read(1 << 16):
            pass


# -- JSON nested without end -----------------------------------------------------------------------------------------
DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def test_deep_json_in_the_home_counts_as_damaged_never_a_recursion_error(tmp_path, capsys):
    home = tmp_path / "home"
    store = Store(home).ensure()
    store.settings_path.write_bytes(DEEP)
    write(store.calibration_path, DEEP)
    status, out, err = run_cli(capsys, "--home", home, "liveness")
    assert status == 0 and "Traceback" not in err and "on for camera verifications" in out
    assert store.load_settings() == {}


def test_a_deep_manifest_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "deep.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", DEEP)
    status, _, err = run_cli(capsys, "--home", tmp_path / "home", "people", "import", path)
    assert_one_line_error(status, err, "nests deeper than 32 levels")


# -- numbers past any range ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("log", "--limit", "99999999999999999999"), ("verify", "Ada", "--camera", "99999999999999999999"),
    ("verify", "Ada", "x.jpg", "--detection-threshold", "nan"), ("verify", "Ada", "--camera", "0", "--frames", "1e9"),
    ("train", "--epochs", "-1"), ("liveness", "--seconds", "1e308"), ("evaluate", "--persons", "10000000"),
])
def test_numbers_out_of_range_are_one_line(args, tmp_path, capsys):
    home = tmp_path / "home"
    Store(home).ensure().add_image("Ada", "positive", noise_bgr(1, 100))
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, *args)
    line = assert_one_line_error(status, err)
    assert len(line) < 300
    assert snapshot(home) == before


def test_a_900000_character_file_name_gives_a_short_line(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--home", tmp_path / "home", "enroll", "Ada", "--from", "x" * 900_000)
    line = assert_one_line_error(status, err)
    assert len(line) <= 420


# -- the old open cases ----------------------------------------------------------------------------------------------
def test_an_empty_home_is_refused_and_nothing_is_written_in_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    image = write(tmp_path / "in" / "a.png", encode(noise_bgr(1, 120)))
    status, _, err = run_cli(capsys, "--home", "", "enroll", "Ada", "--from", image)
    assert_one_line_error(status, err, "cannot be empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_failed_training_creates_no_home_folder(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--home", tmp_path / "nowhere", "train", "--epochs", "1")
    assert_one_line_error(status, err, "enroll a person first")
    assert not (tmp_path / "nowhere").exists()
