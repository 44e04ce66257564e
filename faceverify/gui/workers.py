"""Work off the GUI thread: one-off tasks on worker threads, and the camera feed with its face detector.

Signals are emitted on worker threads and delivered (queued) to slots of widgets, which live on the GUI thread;
connect them to bound methods of QObjects, never to lambdas, so that they always arrive on the GUI thread.
"""
from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from faceverify.camera import CameraReader, FrameSource
from faceverify.errors import CameraError, FaceverifyError
from faceverify.faces import Face, FaceTracker

from .qt_compat import emit

DETECT_INTERVAL = 1 / 15  # the detector looks at most this often (every other frame of a 30 fps camera)
STALE_AFTER = 1.5  # seconds without a frame after which the camera counts as gone
FRAME_TIMEOUT = 5.0  # how long a capture waits for the camera before giving up


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
            traceback.print_exc()
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


@dataclass(frozen=True)
class Detection:
    """The face the detector found in frame number ``seq`` (``face.box`` is None when it found none)."""

    seq: int
    face: Face
    time: float


class CameraFeed(QObject):
    """The chosen camera, read by the core's CameraReader, plus a face-detector thread on its latest frames.

    ``frame_ready`` fires on the GUI thread when a new frame is there; while one is still pending, newer frames
    replace the older one instead of queueing up. ``state_changed`` fires when the source, the camera's message
    or whether frames are arriving (``live``) changes.
    """

    frame_ready = Signal()
    state_changed = Signal()
    _arrived = Signal()
    _status = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._generation = 0
        self._reader: CameraReader | None = None
        self._frame: np.ndarray | None = None
        self._picture: Picture | None = None
        self._display_size = (0, 0)
        self._frame_time = 0.0
        self._seq = 0
        self._detection: Detection | None = None
        self._pending = False
        self.source: int | str | None = None
        self.message = "No camera chosen"
        self._message_time = 0.0
        self.live = False
        self._releasing: list[threading.Thread] = []  # readers of earlier sources, being stopped
        self._arrived.connect(self._deliver)
        self._status.connect(self._on_status)
        self._health = QTimer(self, interval=500)
        self._health.timeout.connect(self._check_health)
        self._health.start()
        self._detector = threading.Thread(target=self._detect_loop, name="face-detector", daemon=True)
        self._detector.start()

    # -- GUI thread -----------------------------------------------------------------------------------
    @property
    def description(self) -> str:
        return FrameSource(self.source).description if self.source is not None else "no camera"

    def set_source(self, source: int | str) -> None:
        """Switch to another camera, file or stream; the old one is released in the background."""
        with self._cond:
            self._generation += 1
            self._frame, self._picture, self._detection, self._seq = None, None, None, 0
            generation = self._generation
            self._cond.notify_all()
        old = self._reader
        self._reader = CameraReader(source, partial(self._on_frame, generation),
                                    partial(self._on_reader_status, generation))
        self.source, self.live = source, False
        self.message, self._message_time = f"Opening {self.description}…", time.monotonic()
        if old is not None:
            self._release(old)
        self._reader.start()
        emit(self.state_changed)

    def retry(self) -> None:
        """Open the current source again now, instead of at the reader's next retry."""
        if self.source is not None:
            self.set_source(self.source)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and detecting for good; waits up to ``timeout`` s for the threads (a stream may take long)."""
        self._stopping.set()
        self._health.stop()
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
        if self._reader is not None:
            self._release(self._reader)
            self._reader = None
        deadline = time.monotonic() + timeout
        for thread in [self._detector, *self._releasing]:
            thread.join(max(deadline - time.monotonic(), 0))

    def _release(self, reader: CameraReader) -> None:
        """Stop a reader without waiting for it here (opening a stream can take seconds)."""
        self._releasing = [t for t in self._releasing if t.is_alive()]
        thread = threading.Thread(target=reader.stop, name="camera-release", daemon=True)
        thread.start()
        self._releasing.append(thread)

    def fps(self) -> float:
        return self._reader.frames_per_second() if self._reader is not None and self.live else 0.0

    def latest(self) -> tuple[Picture | None, Detection | None]:
        """The newest picture and the newest detection (which may be of a slightly older frame)."""
        with self._cond:
            return self._picture, self._detection

    def set_display_size(self, width: int, height: int) -> None:
        """The size, in device pixels, that pictures are scaled to fit (the visible view's)."""
        with self._cond:
            self._display_size = (width, height)

    def _deliver(self) -> None:
        with self._cond:
            self._pending = False
        if not self.live:
            self._check_health()
        emit(self.frame_ready)

    def _on_status(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.message, self._message_time = message, time.monotonic()
            emit(self.state_changed)

    def _check_health(self) -> None:
        with self._cond:
            live = self._frame is not None and time.monotonic() - self._frame_time < STALE_AFTER
        if live != self.live:
            self.live = live
            if not live and self._message_time < self._frame_time:  # the reader's message predates the loss
                self.message = f"{self.description} stopped sending frames"
            emit(self.state_changed)

    # -- any thread ---------------------------------------------------------------------------------------
    def next_faces(self, count: int) -> list[Face]:
        """The faces of the next ``count`` frames the detector looks at (blocks; for worker threads only).

        Raises CameraError when no frame comes for FRAME_TIMEOUT seconds or the source changes meanwhile.
        """
        faces: list[Face] = []
        deadline = time.monotonic() + FRAME_TIMEOUT
        with self._cond:
            generation = self._generation
            last = self._detection.seq if self._detection else 0
            while len(faces) < count:
                fresh = self._cond.wait_for(partial(self._detected_since, generation, last),
                                            timeout=max(deadline - time.monotonic(), 0))
                if self._generation != generation:
                    raise CameraError("The camera was changed or closed during the capture")
                if not fresh:
                    raise CameraError(f"No frames from {self.description}: {self.message}")
                faces.append(self._detection.face)
                last = self._detection.seq
        return faces

    def _detected_since(self, generation: int, seq: int) -> bool:
        """The source changed, or the detector has looked at a frame after ``seq`` (call holding the lock)."""
        return self._generation != generation or (self._detection is not None and self._detection.seq > seq)

    def _frame_since(self, seen: tuple[int, int]) -> bool:
        """Stopping, or a frame other than ``seen`` (generation, seq) is there (call holding the lock)."""
        return self._stopping.is_set() or (self._frame is not None and (self._generation, self._seq) != seen)

    # -- camera reader's thread ------------------------------------------------------------------------------
    def _on_frame(self, generation: int, frame: np.ndarray) -> None:
        picture = self._fit(frame)
        with self._cond:
            if generation != self._generation:
                return
            self._frame, self._frame_time, self._seq = frame, time.monotonic(), self._seq + 1
            self._picture = picture
            self._cond.notify_all()
            if self._pending:
                return
            self._pending = True
        self._emit(self._arrived)

    def _fit(self, frame: np.ndarray) -> Picture:
        """The frame scaled to fit the display size (so that painting it costs the GUI thread a plain copy)."""
        height, width = frame.shape[:2]
        with self._cond:
            display = self._display_size
        scale = min(display[0] / width, display[1] / height)
        size = (max(round(width * scale), 1), max(round(height * scale), 1))
        if scale <= 0 or size == (width, height):
            return Picture(frame, (width, height))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        return Picture(cv2.resize(frame, size, interpolation=interpolation), (width, height))

    def _on_reader_status(self, generation: int, message: str) -> None:
        self._emit(self._status, generation, message)

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        """Emit unless the feed is stopped: a reader being released may still deliver after the window is gone."""
        if self._stopping.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the C++ object was deleted between the check and the emit
            emit(signal, *args)

    # -- detector thread ---------------------------------------------------------------------------------------
    def _detect_loop(self) -> None:
        seen = (0, 0)
        tracker, tracked = FaceTracker(), 0  # near the last face first: a few ms instead of a full-frame search
        while not self._stopping.is_set():
            with self._cond:
                if not self._cond.wait_for(partial(self._frame_since, seen), timeout=0.5) or self._stopping.is_set():
                    continue
                frame, seen = self._frame, (self._generation, self._seq)
            started = time.monotonic()
            if seen[0] != tracked:  # another camera: start afresh
                tracker, tracked = FaceTracker(), seen[0]
            face = tracker.prepare(frame)
            with self._cond:
                if seen[0] == self._generation:
                    self._detection = Detection(seen[1], face, time.monotonic())
                    self._cond.notify_all()
            self._stopping.wait(max(DETECT_INTERVAL - (time.monotonic() - started), 0))
