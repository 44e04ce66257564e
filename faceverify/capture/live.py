"""The live path without Qt: a camera read on one thread, its face tracked on another, the latest frame handed out.

A :class:`LiveFeed` owns a :class:`~faceverify.capture.camera.CameraReader` for one source and a tracking thread
that runs a :class:`~faceverify.faces.pipeline.FaceTracker` on the newest frame at most every ``detect_interval``
seconds. Each frame the tracker processed becomes a :class:`LiveFrame`; callers take the latest, wait for the next,
or take a burst. The GUI wraps a feed in Qt signals (``gui/workers.py``), the CLI and the Python API use it directly
(``verification/live_verify.py``).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from faceverify.capture.camera import CameraReader, FrameSource
from faceverify.errors import CameraError
from faceverify.faces.pipeline import Face, FaceTracker

DETECT_INTERVAL = 1 / 15  # the tracker looks at most this often (every other frame of a 30 fps camera)
STALE_AFTER = 1.5  # seconds without a frame after which the camera counts as gone


@dataclass(frozen=True)
class LiveFrame:
    """A frame the feed processed, with the face the tracker found in it."""

    index: int  # increasing per frame the feed processed, from 1
    time: float  # time.monotonic() when the frame was read
    rgb: np.ndarray  # the full frame, uint8 RGB
    face: Face | None  # the tracked face (box and 100x100 crop), None when no face was found in this frame


class LiveFeed:
    """One source read and tracked on two daemon threads until :meth:`stop`; every method is thread-safe.

    ``on_frame(rgb)`` hears every frame read (on the reader's thread, so keep it short), ``on_status(message)`` each
    new message of the reader ("Reading camera 0", "No camera at index 3 — retrying").
    """

    def __init__(self, source: int | str, *, detect_interval: float = DETECT_INTERVAL,
                 stale_after: float = STALE_AFTER, retry_interval: float = 2.0,
                 on_frame: Callable[[np.ndarray], None] | None = None,
                 on_status: Callable[[str], None] | None = None) -> None:
        self.source = source
        self.description = FrameSource(source).description
        self._detect_interval = detect_interval
        self._stale_after = stale_after
        self._on_frame_hook = on_frame
        self._on_status_hook = on_status
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._raw: np.ndarray | None = None  # the newest frame read, not yet necessarily tracked
        self._raw_time = 0.0
        self._raw_seq = 0
        self._latest: LiveFrame | None = None
        self._message = f"Opening {self.description}…"
        self._message_time = time.monotonic()
        self._reader = CameraReader(source, self._on_frame, self._on_status, retry_interval)
        self._tracker = threading.Thread(target=self._track_loop, name="face-tracker", daemon=True)

    # -- life -------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start reading and tracking."""
        self._reader.start()
        if not self._tracker.is_alive():
            self._tracker.start()

    def stop(self) -> None:
        """Stop for good: wake every waiter, join both threads (a frame's time; a stream's open timeout at worst)."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._reader.stop()
        if self._tracker.is_alive():
            self._tracker.join()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def __enter__(self) -> LiveFeed:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Frames are arriving: the last came less than ``stale_after`` seconds ago."""
        with self._cond:
            return self._raw is not None and time.monotonic() - self._raw_time < self._stale_after

    @property
    def message(self) -> str:
        """What the source is doing, for the user: the reader's last message, or that the frames stopped."""
        with self._cond:
            stale = self._raw is not None and time.monotonic() - self._raw_time >= self._stale_after
            if stale and self._message_time < self._raw_time:  # the reader's message predates the loss
                return f"{self.description} stopped sending frames"
            return self._message

    def fps(self) -> float:
        """Frames read per second over the last second (0 while not live)."""
        return self._reader.frames_per_second() if self.live else 0.0

    # -- frames -----------------------------------------------------------------------------------------------
    def latest(self) -> LiveFrame | None:
        """The newest processed frame, or None before the first."""
        with self._cond:
            return self._latest

    def next_frame(self, after: int | None, timeout: float) -> LiveFrame | None:
        """The newest processed frame with an index above ``after`` (None: above the latest's at the call).

        Blocks up to ``timeout`` seconds; None on timeout or once the feed is stopped.
        """
        with self._cond:
            if after is None:
                after = self._latest.index if self._latest else 0
            fresh = self._cond.wait_for(lambda: self._stopping.is_set() or self._newer_than(after), timeout)
            return self._latest if fresh and not self._stopping.is_set() else None

    def require_frame(self, after: int | None, timeout: float) -> LiveFrame:
        """:meth:`next_frame`, raising CameraError (saying why) instead of returning None."""
        frame = self.next_frame(after, timeout)
        if frame is None:
            raise self.no_frame_error()
        return frame

    def no_frame_error(self) -> CameraError:
        """Why no frame came: the feed was stopped (the source changed or closed), or the source sends none."""
        if self.stopped:
            return CameraError("The camera was changed or closed during the capture")
        return CameraError(f"No frames from {self.description}: {self.message}")

    def burst(self, count: int, timeout: float) -> list[LiveFrame]:
        """The next ``count`` processed frames that hold a face, in order; fewer if ``timeout`` s pass or it stops."""
        frames: list[LiveFrame] = []
        deadline = time.monotonic() + timeout
        after = None
        while len(frames) < count:
            frame = self.next_frame(after, max(deadline - time.monotonic(), 0))
            if frame is None:
                break
            after = frame.index
            if frame.face is not None:
                frames.append(frame)
        return frames

    def _read_since(self, seq: int) -> bool:
        """Stopping, or a frame other than number ``seq`` was read (call holding the lock)."""
        return self._stopping.is_set() or self._raw_seq != seq

    def _newer_than(self, index: int) -> bool:
        return self._latest is not None and self._latest.index > index

    # -- reader's thread --------------------------------------------------------------------------------------
    def _on_frame(self, rgb: np.ndarray) -> None:
        if self._stopping.is_set():
            return
        with self._cond:
            self._raw, self._raw_time, self._raw_seq = rgb, time.monotonic(), self._raw_seq + 1
            self._cond.notify_all()
        if self._on_frame_hook is not None:
            self._on_frame_hook(rgb)

    def _on_status(self, message: str) -> None:
        with self._cond:
            self._message, self._message_time = message, time.monotonic()
        if self._on_status_hook is not None and not self._stopping.is_set():
            self._on_status_hook(message)

    # -- tracking thread --------------------------------------------------------------------------------------
    def _track_loop(self) -> None:
        tracker, seen = FaceTracker(), 0  # near the last face first: a few ms instead of a full-frame search
        while not self._stopping.is_set():
            with self._cond:
                if not self._cond.wait_for(partial(self._read_since, seen), timeout=0.5):
                    continue
                if self._stopping.is_set():
                    return
                rgb, read_at, seen = self._raw, self._raw_time, self._raw_seq
            started = time.monotonic()
            face = tracker.prepare(rgb)
            with self._cond:
                index = self._latest.index + 1 if self._latest else 1
                self._latest = LiveFrame(index, read_at, rgb, face if face.face_found else None)
                self._cond.notify_all()
            self._stopping.wait(max(self._detect_interval - (time.monotonic() - started), 0))
