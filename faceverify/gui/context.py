"""What every part of the window shares: the store, the audit log, the camera feed, settings, and change signals."""
from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from faceverify.capture.camera import parse_source
from faceverify.errors import CameraError, FaceverifyError
from faceverify.gui.qt_compat import emit
from faceverify.gui.workers import CameraFeed
from faceverify.home.audit import AuditLog
from faceverify.home.store import Store
from faceverify.model import shipped
from faceverify.verification.thresholds import threshold

if TYPE_CHECKING:
    from faceverify.verification.decisions import DecisionService

DEFAULT_CAMERA = 0
MODEL_POLL_MS = 2000


class AppContext(QObject):
    """Shared state; the ``*_changed`` signals tell every view to refresh what it shows."""

    people_changed = Signal()
    negatives_changed = Signal()
    model_changed = Signal()
    audit_changed = Signal()
    level_changed = Signal()  # the security level was chosen

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store.ensure()
        self.audit = AuditLog(store.audit_path)
        self.feed = CameraFeed(self)
        self._decisions: DecisionService | None = None
        self._decisions_lock = threading.Lock()
        self.verifier_loaded = False  # the runtime model is loaded (the first verification takes longer)
        self._model_stamp = self._stamp()
        self._model_timer = QTimer(self, interval=MODEL_POLL_MS)
        self._model_timer.timeout.connect(self.check_model)
        self._model_timer.start()

    # -- settings -----------------------------------------------------------------------------------------------
    def setting(self, key: str) -> object:
        """A saved setting of the right type and range, else its default (see ``home/settings.py``)."""
        return self.store.setting(key)

    def threshold(self, key: str) -> float:
        return threshold(self.store, key)

    def saved_camera(self) -> int | str:
        value = str(self.setting("camera")).strip()
        try:
            return parse_source(value) if value else DEFAULT_CAMERA
        except CameraError:  # an index no device can have, written by hand
            return DEFAULT_CAMERA

    def use_camera(self, source: int | str) -> None:
        """Switch the feed to ``source`` and remember it for the next run."""
        self.store.save_settings(camera=source)
        self.feed.set_source(source)

    # -- model ------------------------------------------------------------------------------------------------
    def has_model(self) -> bool:
        """Whether there is a model to verify with: this home's own, else the shipped generic model."""
        return self.store.has_own_model() or self.has_shipped_model()

    def has_own_model(self) -> bool:
        return self.store.has_own_model()

    @staticmethod
    def has_shipped_model() -> bool:
        return shipped.available()

    def model_label(self) -> str | None:
        """"trained <date time>", "generic (comes with faceverify)", or None without a model (no TensorFlow needed)."""
        stamp = self._stamp()
        if stamp:
            return f"trained {datetime.fromtimestamp(stamp[0] / 1e9):%Y-%m-%d %H:%M}"
        return "generic (comes with faceverify)" if self.has_shipped_model() else None

    def decisions(self) -> DecisionService:
        """The shared decision service (source 'gui') with the current model loaded; worker threads only.

        The runtime model is loaded on the first call. Raises ModelError when there is no usable model.
        """
        with self._decisions_lock:
            if self._decisions is None:
                from faceverify.verification.decisions import DecisionService

                self._decisions = DecisionService(self.store, "gui", audit=self.audit)
        self._decisions.verifier.load()  # or reloads it after a training
        self.verifier_loaded = True
        return self._decisions

    def _stamp(self) -> tuple[int, int, int] | None:
        """The model file's time and size, and its calibration's time (written just after the model); None without
        a usable model file (none, or a link out of the home, which verification then refuses with its reason)."""
        try:
            stat = self.store.model_path.stat()
        except (OSError, FaceverifyError):
            return None
        try:
            calibrated = self.store.calibration_path.stat().st_mtime_ns
        except (OSError, FaceverifyError):
            calibrated = 0
        return stat.st_mtime_ns, stat.st_size, calibrated

    def check_model(self) -> None:
        """Emit model_changed if the model or its thresholds were replaced (by a training here or the CLI)."""
        stamp = self._stamp()
        if stamp != self._model_stamp:
            self._model_stamp = stamp
            emit(self.model_changed)

    def shutdown(self) -> None:
        """Stop the camera and the model poll (the audit log stays open for jobs still finishing)."""
        self._model_timer.stop()
        self.feed.stop()
