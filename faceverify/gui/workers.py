"""Work off the GUI thread: one-off tasks on worker threads, and the Qt face of the core's live feed.

Signals are emitted on worker threads and delivered (queued) to slots of widgets, which live on the GUI thread;
connect them to bound methods of QObjects, never to lambdas, so that they always arrive on the GUI thread.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from faceverify.capture.camera import FrameSource
from faceverify.capture.live import LiveFeed, LiveFrame
from faceverify.errors import CameraError, FaceverifyError
from faceverify.gui.qt_compat import emit

log = logging.getLogger(__name__)

HEALTH_INTERVAL_MS = 500  # how often the feed checks whether frames still arrive


class Task(QObject):
    """One job run on its own worker thread: ``job(task, *args)``; results come back as signals.

    The job may call :meth:`report` with progress and poll :meth:`cancelled`. A FaceverifyError becomes
    ``failed`` with its message as it is; any other exception is printed and becomes ``failed`` too.
    """

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()
    _ended = Signal()

    _running: set[Task] = set()  # keeps each task alive until its last signal has been delivered

    def __init__(self, job: Callable[..., object], *args: object) -> None:
        super().__init__()
        self._job, self._args = job, args
        self._cancel = threading.Event()
        self._ended.connect(self._end)

    def start(self) -> Task:
        Task._running.add(self)
        self._thread = threading.Thread(target=self._run, name=f"task-{self._job.__name__}", daemon=True)
        self._thread.start()
        return self

    @classmethod
    def wait_all(cls, timeout: float) -> None:
        """Wait up to ``timeout`` seconds in all for running tasks (at exit, so that none is cut off mid-call)."""
        deadline = time.monotonic() + timeout
        for task in list(cls._running):
            task._thread.join(max(deadline - time.monotonic(), 0))

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, value: object) -> None:
        emit(self.progressed, value)

    def _run(self) -> None:
        try:
            result = self._job(self, *self._args)
        except FaceverifyError as exc:
            emit(self.failed, str(exc))
        except Exception as exc:  # a bug must not take the window down: say so, keep running
            log.exception("%s failed", self._job.__name__)
            emit(self.failed, f"Unexpected error ({type(exc).__name__}): {exc}")
        else:
            emit(self.succeeded, result)
        emit(self._ended)

    def _end(self) -> None:
        Task._running.discard(self)
        emit(self.finished)


@dataclass(frozen=True)
class Picture:
    """A frame made ready to paint: scaled (off the GUI thread) to fit the view; boxes refer to ``frame_size``."""

    pixels: np.ndarray  # RGB uint8, contiguous
    frame_size: tuple[int, int]  # the camera frame's width and height


class CameraFeed(QObject):
    """The chosen camera as Qt sees it: a thin adapter over the core's :class:`~faceverify.capture.live.LiveFeed`.

    ``frame_ready`` fires on the GUI thread when a new frame is there; while one is still pending, newer frames
    replace the older one instead of queueing up. ``state_changed`` fires when the source, the camera's message
    or whether frames are arriving (``live``) changes. Worker threads take frames from :meth:`current`.
    """

    frame_ready = Signal()
    state_changed = Signal()
    _arrived = Signal()
    _status = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._generation = 0
        self._feed: LiveFeed | None = None
        self._picture: Picture | None = None
        self._display_size = (0, 0)
        self._pending = False
        self.live = False
        self._shown_message = ""
        self._releasing: list[threading.Thread] = []  # feeds of earlier sources, being stopped
        self._arrived.connect(self._deliver)
        self._status.connect(self._check_health)
        self._health = QTimer(self, interval=HEALTH_INTERVAL_MS)
        self._health.timeout.connect(self._check_health)
        self._health.start()

    # -- GUI thread -----------------------------------------------------------------------------------
    @property
    def source(self) -> int | str | None:
        return self._feed.source if self._feed is not None else None

    @property
    def description(self) -> str:
        return FrameSource(self.source).description if self.source is not None else "no camera"

    @property
    def message(self) -> str:
        return self._feed.message if self._feed is not None else "No camera chosen"

    def set_source(self, source: int | str) -> None:
        """Switch to another camera, file or stream; the old one is released in the background."""
        with self._lock:
            self._generation += 1
            self._picture = None
            generation = self._generation
        old = self._feed
        self._feed = LiveFeed(source, on_frame=partial(self._on_frame, generation),
                              on_status=partial(self._on_status, generation))
        self.live = False
        if old is not None:
            self._release(old)
        self._feed.start()
        self._shown_message = self.message
        emit(self.state_changed)

    def retry(self) -> None:
        """Open the current source again now, instead of at the reader's next retry."""
        if self.source is not None:
            self.set_source(self.source)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and detecting for good; waits up to ``timeout`` s for the threads (a stream may take long)."""
        self._stopping.set()
        self._health.stop()
        with self._lock:
            self._generation += 1
        if self._feed is not None:
            self._release(self._feed)
        deadline = time.monotonic() + timeout
        for thread in self._releasing:
            thread.join(max(deadline - time.monotonic(), 0))

    def _release(self, feed: LiveFeed) -> None:
        """Stop a feed without waiting for it here (opening a stream can take seconds)."""
        self._releasing = [t for t in self._releasing if t.is_alive()]
        thread = threading.Thread(target=feed.stop, name="camera-release", daemon=True)
        thread.start()
        self._releasing.append(thread)

    def fps(self) -> float:
        return self._feed.fps() if self._feed is not None and self.live else 0.0

    def latest(self) -> tuple[Picture | None, LiveFrame | None]:
        """The newest picture and the newest tracked frame (which may be slightly older)."""
        with self._lock:
            picture = self._picture
        return picture, self._feed.latest() if self._feed is not None else None

    def set_display_size(self, width: int, height: int) -> None:
        """The size, in device pixels, that pictures are scaled to fit (the visible view's)."""
        with self._lock:
            self._display_size = (width, height)

    def _deliver(self) -> None:
        with self._lock:
            self._pending = False
        if not self.live:
            self._check_health()
        emit(self.frame_ready)

    def _check_health(self) -> None:
        if self._feed is None:
            return
        live, message = self._feed.live, self._feed.message
        if (live, message) != (self.live, self._shown_message):
            self.live, self._shown_message = live, message
            emit(self.state_changed)

    # -- any thread ---------------------------------------------------------------------------------------
    def current(self) -> LiveFeed:
        """The core feed of the chosen source (for worker threads); CameraError when none is chosen."""
        feed = self._feed
        if feed is None or self._stopping.is_set():
            raise CameraError("No camera chosen")
        return feed

    # -- camera reader's thread ------------------------------------------------------------------------------
    def _on_frame(self, generation: int, frame: np.ndarray) -> None:
        picture = self._fit(frame)
        with self._lock:
            if generation != self._generation:
                return
            self._picture = picture
            if self._pending:
                return
            self._pending = True
        self._emit(self._arrived)

    def _fit(self, frame: np.ndarray) -> Picture:
        """The frame scaled to fit the display size (so that painting it costs the GUI thread a plain copy)."""
        height, width = frame.shape[:2]
        with self._lock:
            display = self._display_size
        scale = min(display[0] / width, display[1] / height)
        size = (max(round(width * scale), 1), max(round(height * scale), 1))
        if scale <= 0 or size == (width, height):
            return Picture(frame, (width, height))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        return Picture(cv2.resize(frame, size, interpolation=interpolation), (width, height))

    def _on_status(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._emit(self._status)

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        """Emit unless the feed is stopped: a reader being released may still deliver after the window is gone."""
        if self._stopping.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the C++ object was deleted between the check and the emit
            emit(signal, *args)
