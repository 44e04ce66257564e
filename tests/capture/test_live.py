"""The core's live feed without Qt: a real webcam-style video read and tracked, frames handed out, a prompt stop."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from faceverify.capture.live import LiveFeed
from faceverify.errors import CameraError


@pytest.fixture
def asl_book(shared_data):
    path = shared_data / "video" / "asl_book.mkv"
    if not path.is_file():
        pytest.skip(f"{path} not found (see ../shared/data/README.md)")
    return str(path)


def test_feed_hands_out_tracked_frames_in_order(asl_book):
    frames_read = []
    with LiveFeed(asl_book, on_frame=frames_read.append) as feed:
        first = feed.next_frame(None, timeout=10)
        assert first is not None
        frames = [first]
        for _ in range(5):
            frames.append(feed.next_frame(frames[-1].index, timeout=5))
        assert feed.live and "Reading video file" in feed.message
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices))  # strictly increasing
    assert [f.time for f in frames] == sorted(f.time for f in frames)
    for frame in frames:
        assert frame.rgb.shape == (480, 640, 3) and frame.rgb.dtype == np.uint8
        assert frame.face is not None, "the person faces the camera in every frame of asl_book.mkv"
        x, y, w, h = frame.face.box
        assert 40 <= w <= 110 and 0 <= x < 640 and 0 <= y < 480  # the face is about 68 px wide
        assert frame.face.pixels.shape == (100, 100, 3)
    assert len(frames_read) >= len(frames)  # every frame read reaches on_frame; the tracker may skip some


def test_burst_takes_the_next_frames_with_a_face(asl_book):
    with LiveFeed(asl_book) as feed:
        before = feed.next_frame(None, timeout=10)
        burst = feed.burst(3, timeout=10)
    assert len(burst) == 3 and all(f.face is not None for f in burst)
    assert before.index < burst[0].index < burst[1].index < burst[2].index


def test_the_detector_looks_at_most_every_detect_interval(asl_book):
    with LiveFeed(asl_book, detect_interval=0.25) as feed:
        first = feed.next_frame(None, timeout=10)
        fifth = first
        for _ in range(4):
            fifth = feed.next_frame(fifth.index, timeout=5)
    assert fifth.time - first.time >= 4 * 0.25 - 0.05  # frames read 30 a second, tracked 4 a second


def test_stop_returns_promptly_and_wakes_waiters(asl_book):
    before = set(threading.enumerate())
    feed = LiveFeed(asl_book)
    feed.start()
    its_threads = set(threading.enumerate()) - before
    assert {t.name for t in its_threads} >= {"face-tracker", "camera-reader"}
    assert feed.next_frame(None, timeout=10) is not None
    woke = threading.Event()
    results = []

    def wait() -> None:
        results.append(feed.next_frame(10**9, timeout=30))
        woke.set()

    threading.Thread(target=wait, daemon=True).start()
    started = time.monotonic()
    feed.stop()
    stopped_in = time.monotonic() - started
    assert woke.wait(2) and results == [None]
    assert stopped_in < 1.0, f"stop took {stopped_in:.2f} s"
    assert not any(t.is_alive() for t in its_threads)
    with pytest.raises(CameraError, match="changed or closed"):
        feed.require_frame(None, timeout=0.1)


def test_a_missing_source_says_why(tmp_path):
    with LiveFeed(str(tmp_path / "nothing.avi"), retry_interval=0.1) as feed:
        with pytest.raises(CameraError, match="File not found"):
            feed.require_frame(None, timeout=1.0)
        assert not feed.live and feed.latest() is None and feed.fps() == 0.0
