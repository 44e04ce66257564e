"""Frame sources: webcams, video files, image sequences and streams, read as RGB frames (no Qt).

Importing this module quiets OpenCV's and FFmpeg's own console messages (unless the user set OPENCV_LOG_LEVEL or
OPENCV_FFMPEG_LOGLEVEL): a CameraError says what went wrong in one line instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read when FFmpeg first opens something

import contextlib
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np

from faceverify.errors import CameraError

if "OPENCV_LOG_LEVEL" not in os.environ:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # its [ERROR:...] lines too: one line is ours

FALLBACK_FPS = 30.0
MAX_FPS = 240.0
STREAM_TIMEOUT_MS = 5000
FPS_WINDOW_S = 1.0


MAX_DEVICE_INDEX = 4095


def parse_source(text: str) -> int | str:
    """A device index for a number such as "0"; otherwise the text itself, a path, pattern or URL.
    CameraError for an index no device can have (OpenCV would overflow)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return text
    if len(text) > 4 or int(text) > MAX_DEVICE_INDEX:
        raise CameraError(f"No camera at index {text[:12]}{'…' if len(text) > 12 else ''} (at most "
                          f"{MAX_DEVICE_INDEX})")
    return int(text)


def _redact(url: str) -> str:
    """The URL without any user name or password in it."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class FrameSource:
    """A camera, video file, image sequence (`dir/%04d.jpg`) or stream URL, read one RGB frame at a time.

    The constructor touches no device, so a source can be made on one thread and opened and read on another; one
    thread reads it. Files are paced at their own frame rate when `pace` is set and start again at the end when
    `loop` is set.
    """

    def __init__(self, source: int | str, loop: bool = True, pace: bool = True) -> None:
        self.source = source
        self.loop = loop
        self.pace = pace
        self._capture: cv2.VideoCapture | None = None
        self._pending: np.ndarray | None = None
        self._fps = 0.0
        self._due = 0.0

    @property
    def is_file(self) -> bool:
        """True for a video file or image sequence, False for a device or stream."""
        return isinstance(self.source, str) and "://" not in self.source

    @property
    def description(self) -> str:
        """What the source is, for the user: "camera 0", "video file clip.mp4", ..."""
        if isinstance(self.source, int):
            return f"camera {self.source}"
        if not self.is_file:
            return f"stream {_redact(self.source)}"
        kind = "image sequence" if "%" in self.source else "video file"
        return f"{kind} {self.source}"

    @property
    def fps(self) -> float:
        """The frame rate the source reports, FALLBACK_FPS where it reports none or an absurd one; 0 until open."""
        return self._fps

    def open(self) -> None:
        """Opens the source and reads its first frame; raises CameraError when either fails."""
        self.close()
        capture = self._new_capture()
        ok, frame = capture.read()
        if not ok:
            opened = capture.isOpened()
            capture.release()
            raise CameraError(self._open_error(opened))
        reported = capture.get(cv2.CAP_PROP_FPS)
        self._fps = reported if 0 < reported <= MAX_FPS else FALLBACK_FPS
        self._capture, self._pending, self._due = capture, frame, 0.0

    def read(self) -> np.ndarray:
        """The next frame, RGB uint8 (H, W, 3); opens the source first if needed.

        Raises CameraError when a camera or stream stops delivering, EOFError at the end of a file that does not loop.
        """
        if self._capture is None:
            self.open()
        frame = self._pending if self._pending is not None else self._next_frame()
        self._pending = None
        if self.pace and self.is_file:
            self._wait_until_due()
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        """Releases the source; read() opens it again."""
        if self._capture is not None:
            self._capture.release()
        self._capture, self._pending = None, None

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _new_capture(self) -> cv2.VideoCapture:
        if self.is_file and "%" not in self.source:  # a FIFO named like a video would block OpenCV for ever
            with contextlib.suppress(OSError):
                if stat.S_ISFIFO(os.stat(self.source).st_mode) or stat.S_ISSOCK(os.stat(self.source).st_mode):
                    raise CameraError(f"{self.source} is a pipe or socket, not a video file")
        if self.is_file or isinstance(self.source, int):
            return cv2.VideoCapture(self.source)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
        return cv2.VideoCapture(self.source, cv2.CAP_ANY, params)

    def _open_error(self, opened: bool) -> str:
        if isinstance(self.source, int):
            if opened:
                return f"Camera {self.source} delivers no frames (is another program using it?)"
            return f"No camera at index {self.source}"
        if not self.is_file:
            return f"Cannot open stream {_redact(self.source)}"
        if "%" in self.source:
            return f"No images match {self.source} (the first must be numbered 0 to 4)"
        path = Path(self.source)
        if not path.exists():
            return f"File not found: {self.source}"
        if path.is_dir():
            return f"{self.source} is a folder: give a video file or an image pattern such as {path / '%04d.jpg'}"
        return f"Cannot open video file {self.source}: not a video or unsupported format"

    def _next_frame(self) -> np.ndarray:
        ok, frame = self._capture.read()
        if ok:
            return frame
        if not self.is_file:
            raise CameraError("Camera stopped delivering frames")
        if not self.loop:
            raise EOFError(f"End of {self.description}")
        # Reopening is the one way back to the start that works for image sequences as well as videos.
        self._capture.release()
        self._capture = self._new_capture()
        ok, frame = self._capture.read()
        if not ok:
            raise CameraError(f"Cannot read {self.description} again from the start")
        return frame

    def _wait_until_due(self) -> None:
        now = time.monotonic()
        if self._due > now:
            time.sleep(self._due - now)
            now = self._due
        self._due = now + 1.0 / self._fps


def list_devices(max_index: int = 5) -> list[int]:
    """The device indices from 0 to max_index (inclusive) at which a camera opens."""
    found = []
    for index in range(max_index + 1):
        capture = cv2.VideoCapture(index)
        if capture.isOpened():
            found.append(index)
        capture.release()
    return found


class CameraReader:
    """Reads a source on a daemon thread until stopped, for the GUI and the CLI alike.

    Each frame goes to `on_frame` (on the reader's thread). When the source does not open or stops delivering,
    `on_status` hears why and the reader tries again every `retry_interval` seconds, so a camera plugged back in is
    picked up. `on_status` hears each new status once, not every retry.
    """

    def __init__(
        self,
        source: int | str,
        on_frame: Callable[[np.ndarray], None],
        on_status: Callable[[str], None],
        retry_interval: float = 2.0,
    ) -> None:
        self._source = source
        self._on_frame = on_frame
        self._on_status = on_status
        self._retry_interval = retry_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: np.ndarray | None = None
        self._times: deque[float] = deque()
        self._status = ""

    def start(self) -> None:
        """Starts reading; does nothing while already reading."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="camera-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops reading and waits for the thread to finish (a frame's time, or a stream's open timeout at worst)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def latest(self) -> np.ndarray | None:
        """The most recent frame, or None before the first."""
        with self._lock:
            return self._latest

    def frames_per_second(self) -> float:
        """The rate at which frames arrived over the last second; 0 when fewer than two did."""
        with self._lock:
            self._forget_old(time.monotonic())
            if len(self._times) < 2:
                return 0.0
            return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-6)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with FrameSource(self._source) as source:
                    self._report(f"Reading {source.description}")
                    while not self._stopping.is_set():
                        self._deliver(source.read())
            except CameraError as error:
                self._report(f"{error} — retrying")
            self._stopping.wait(self._retry_interval)

    def _deliver(self, frame: np.ndarray) -> None:
        now = time.monotonic()
        with self._lock:
            self._latest = frame
            self._times.append(now)
            self._forget_old(now)
        self._on_frame(frame)

    def _forget_old(self, now: float) -> None:
        while self._times and self._times[0] < now - FPS_WINDOW_S:
            self._times.popleft()

    def _report(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self._on_status(status)
