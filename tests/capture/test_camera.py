"""Frame sources on real files the tests write: colour order, looping, pacing, sequences, errors, the reader."""

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceverify.capture.camera import CameraReader, FrameSource, list_devices, parse_source
from faceverify.errors import CameraError

SHARED_VIDEO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "video" / "asl_book.mkv"
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]  # RGB: red, green, blue, yellow
SIZE = (48, 32)  # width, height


def _rgb_frame(colour: tuple[int, int, int]) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), colour, np.uint8)


def _write_video(path: Path, fps: float = 20.0, colours: list = COLOURS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    assert writer.isOpened()
    for colour in colours:
        writer.write(cv2.cvtColor(_rgb_frame(colour), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _write_sequence(folder: Path, first: int = 0) -> str:
    folder.mkdir()
    for number, colour in enumerate(COLOURS, start=first):
        cv2.imwrite(str(folder / f"{number:04d}.png"), cv2.cvtColor(_rgb_frame(colour), cv2.COLOR_RGB2BGR))
    return str(folder / "%04d.png")


def _colour_of(frame: np.ndarray) -> tuple[int, int, int]:
    """The listed colour nearest the frame's mean (MJPG is lossy)."""
    mean = frame.reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda colour: np.abs(mean - colour).sum())


class Heard:
    """What a CameraReader's callbacks heard, with a wait on it that wakes on each call (no polling)."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []
        self.statuses: list[str] = []
        self.opened = 0  # attempts to open the source (counted where a test wraps FrameSource.open)
        self._cond = threading.Condition()

    def opening(self) -> None:
        with self._cond:
            self.opened += 1
            self._cond.notify_all()

    def frame(self, frame: np.ndarray) -> None:
        with self._cond:
            self.frames.append(frame)
            self._cond.notify_all()

    def status(self, message: str) -> None:
        with self._cond:
            self.statuses.append(message)
            self._cond.notify_all()

    def wait(self, condition, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(condition, timeout)


def test_parse_source():
    assert parse_source("0") == 0
    assert parse_source(" 2 ") == 2
    assert parse_source("clips/a.mp4") == "clips/a.mp4"
    assert parse_source("rtsp://cam.local/live") == "rtsp://cam.local/live"


def test_video_frames_are_rgb_in_order(tmp_path):
    video = _write_video(tmp_path / "colours.avi")
    with FrameSource(str(video), pace=False) as source:
        frames = [source.read() for _ in COLOURS]
        assert source.fps == pytest.approx(20.0)
        assert source.is_file
        assert source.description == f"video file {video}"
    for frame, colour in zip(frames, COLOURS):
        assert frame.shape == (SIZE[1], SIZE[0], 3) and frame.dtype == np.uint8
        assert np.abs(frame.reshape(-1, 3).mean(axis=0) - colour).max() < 30


def test_video_loops_past_the_end(tmp_path):
    video = _write_video(tmp_path / "colours.avi")
    with FrameSource(str(video), pace=False) as source:
        seen = [_colour_of(source.read()) for _ in range(2 * len(COLOURS) + 1)]
    assert seen == (COLOURS * 3)[: len(seen)]


def test_video_without_loop_ends(tmp_path):
    video = _write_video(tmp_path / "colours.avi")
    with FrameSource(str(video), loop=False, pace=False) as source:
        for _ in COLOURS:
            source.read()
        with pytest.raises(EOFError):
            source.read()


def test_pacing_follows_the_file_rate(tmp_path):
    video = _write_video(tmp_path / "colours.avi", fps=20.0)
    with FrameSource(str(video)) as source:
        started = time.monotonic()
        for _ in range(10):
            source.read()
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 3.0


def test_image_sequence_reads_and_loops(tmp_path):
    pattern = _write_sequence(tmp_path / "frames", first=1)
    with FrameSource(pattern, pace=False) as source:
        seen = [source.read() for _ in range(len(COLOURS) + 2)]
        assert source.description == f"image sequence {pattern}"
    expected = (COLOURS * 2)[: len(seen)]
    for frame, colour in zip(seen, expected):
        np.testing.assert_array_equal(frame, _rgb_frame(colour))  # PNG is lossless


def test_construct_on_one_thread_read_on_another(tmp_path):
    source = FrameSource(str(_write_video(tmp_path / "colours.avi")), pace=False)
    frames = []
    reader = threading.Thread(target=lambda: frames.append(source.read()))
    reader.start()
    reader.join()
    source.close()
    assert _colour_of(frames[0]) == COLOURS[0]


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda tmp: 97, "No camera at index 97"),
        (lambda tmp: str(tmp / "missing.mp4"), "File not found"),
        (lambda tmp: str(tmp / "none" / "%04d.jpg"), "No images match"),
        (lambda tmp: str(tmp), "is a folder"),
        (lambda tmp: "rtsp://user:secret@127.0.0.1:1/live", "Cannot open stream rtsp://127.0.0.1:1/live$"),
    ],
)
def test_sources_that_do_not_open(tmp_path, make_source, message):
    with pytest.raises(CameraError, match=message):
        FrameSource(make_source(tmp_path)).open()


def test_text_file_named_mp4_is_refused(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(CameraError, match="Cannot open video file .*notes.mp4: not a video"):
        FrameSource(str(fake)).open()


def test_list_devices_returns_indices_that_open():
    devices = list_devices(max_index=3)
    assert isinstance(devices, list) and all(index in range(4) for index in devices)


def test_reader_delivers_frames_and_stops_promptly(tmp_path):
    video = _write_video(tmp_path / "colours.avi", fps=30.0)
    heard = Heard()
    reader = CameraReader(str(video), heard.frame, heard.status)
    reader.start()
    try:
        assert heard.wait(lambda: len(heard.frames) >= 10)
        assert reader.latest() is not None and reader.latest().shape == (SIZE[1], SIZE[0], 3)
        assert 15 < reader.frames_per_second() < 45
    finally:
        started = time.monotonic()
        reader.stop()
    assert time.monotonic() - started < 0.5
    assert heard.statuses == [f"Reading video file {video}"]


def test_reader_retries_a_bad_source_until_it_appears(tmp_path, monkeypatch):
    video = tmp_path / "later.avi"
    heard = Heard()
    real_open = FrameSource.open

    def counted_open(source: FrameSource) -> None:
        heard.opening()
        real_open(source)

    monkeypatch.setattr(FrameSource, "open", counted_open)
    reader = CameraReader(str(video), heard.frame, heard.status, retry_interval=0.05)
    reader.start()
    try:
        assert heard.wait(lambda: heard.statuses)
        assert heard.statuses[0] == f"File not found: {video} — retrying"
        assert heard.wait(lambda: heard.opened >= 4, timeout=10), f"{heard.opened} attempts to open, 4 expected"
        assert heard.statuses == [heard.statuses[0]]  # three retries more, each quietly
        assert not heard.frames and reader.latest() is None
        _write_video(tmp_path / "being_written.avi").rename(video)
        assert heard.wait(lambda: heard.frames)
        assert heard.statuses[-1] == f"Reading video file {video}"
    finally:
        reader.stop()


def test_reader_stops_promptly_while_waiting_to_retry():
    heard = Heard()
    reader = CameraReader(97, heard.frame, heard.status, retry_interval=2.0)
    reader.start()
    assert heard.wait(lambda: heard.statuses)
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 0.5
    assert heard.statuses == ["No camera at index 97 — retrying"]


def test_shared_webcam_stand_in():
    if not SHARED_VIDEO.exists():
        pytest.skip(f"shared data absent: {SHARED_VIDEO}")
    with FrameSource(str(SHARED_VIDEO), pace=False) as source:
        frame = source.read()
        assert source.fps == pytest.approx(30.0, abs=0.5)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
