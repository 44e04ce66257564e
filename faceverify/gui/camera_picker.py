"""The camera chooser in the tool bar: the devices that open, a video file, or a stream URL / image pattern."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLabel, QPushButton, QWidget

from faceverify.capture.camera import parse_source
from faceverify.gui import dialogs, jobs
from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.gui.workers import Task

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mkv *.mov *.webm *.m4v *.mpg);;All files (*)"


def source_label(source: int | str) -> str:
    """A short name for a source: "Camera 0", a file's name, an image pattern with its folder, or the URL."""
    if isinstance(source, int):
        return f"Camera {source}"
    if "://" in source:
        return source
    path = Path(source)
    return f"{path.parent.name}/{path.name}" if "%" in path.name else path.name


class CameraPicker(QWidget):
    """Lists the cameras found (looked for in the background) plus the current source; switching is remembered.

    ``notice`` carries a short message for the status bar (what the search for cameras found).
    """

    notice = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.devices: list[int] = []
        self._announce = False  # the search was asked for: say what it found
        self.combo = QComboBox(minimumContentsLength=18, toolTip="The camera, video file or stream to read")
        self.combo.activated.connect(self._on_chosen)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Camera"))
        layout.addWidget(self.combo)
        for text, tip, slot in (
            ("Find cameras", "Look again for cameras plugged into this computer", self.search),
            ("Open video file…", "Play a video file as the camera (it loops)", self.open_file),
            ("URL or pattern…", "A stream URL (rtsp://, http://) or an image pattern such as frames/%04d.jpg",
             self.enter_source),
            ("Retry", "Open the camera again now", context.feed.retry),
        ):
            button = QPushButton(text, toolTip=tip)
            button.clicked.connect(slot)
            layout.addWidget(button)
        context.feed.state_changed.connect(self._fill)
        self._fill()

    def search(self) -> None:
        """Look for cameras and say what was found."""
        self._announce = True
        emit(self.notice, "Looking for cameras…")
        self.find_devices()

    def find_devices(self) -> None:
        """Look for cameras in the background (quietly: the list is updated)."""
        task = Task(jobs.find_cameras)
        task.succeeded.connect(self._on_devices)
        task.start()

    def choose(self) -> None:
        self.combo.setFocus()
        self.combo.showPopup()

    def open_file(self) -> None:
        if path := dialogs.open_file(self, self.context, "Open a video file as the camera", VIDEO_FILTER):
            self.context.use_camera(str(path))

    def enter_source(self) -> None:
        current = self.context.feed.source
        text, ok = QInputDialog.getText(self, "Camera source",
                                        "Stream URL, video file, or image pattern (frames/%04d.jpg):",
                                        text="" if current is None else str(current))
        if ok and text.strip():
            self.context.use_camera(parse_source(text))

    def _on_devices(self, devices: list[int]) -> None:
        self.devices = devices
        self._fill()
        if self._announce:
            self._announce = False
            found = ", ".join(map(str, devices))
            emit(self.notice, f"Cameras found: {found}" if devices else "No camera found (devices 0 to 5 were tried)")

    def _fill(self) -> None:
        current = self.context.feed.source
        sources: list[int | str] = list(self.devices)
        if current is not None and current not in sources:
            sources.insert(0, current)
        self.combo.clear()
        for source in sources:
            self.combo.addItem(source_label(source), source)
            self.combo.setItemData(self.combo.count() - 1, str(source), Qt.ToolTipRole)
        if current is not None:
            self.combo.setCurrentIndex(sources.index(current))

    def _on_chosen(self, index: int) -> None:
        source = self.combo.itemData(index)
        if source is not None and source != self.context.feed.source:
            self.context.use_camera(source)
