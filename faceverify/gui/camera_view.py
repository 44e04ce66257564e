"""The live view: the camera's newest frame with the detected face box, or why there is no picture and the ways out."""
from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from faceverify.gui import style
from faceverify.gui.workers import CameraFeed

BOX_MAX_AGE = 0.5  # seconds: an older detection is not drawn


class CameraView(QWidget):
    """Paints the feed's frames (scaled to fit) and the face box; shows a message card when there are none.

    The card's buttons ask for another camera, a video file or a retry; the window answers those signals.
    """

    choose_camera = Signal()
    open_file = Signal()
    retry = Signal()

    def __init__(self, feed: CameraFeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.feed = feed
        self.frames_shown = 0  # distinct frames painted
        self._shown: object = None
        self.last_box: tuple[int, int, int, int] | None = None
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paints every pixel: nothing behind it needs painting
        self.overlay = self._make_overlay()
        feed.frame_ready.connect(self._on_frame)
        feed.state_changed.connect(self._on_state)
        self._on_state()

    def _make_overlay(self) -> QFrame:
        card = QFrame(self, objectName="overlay")
        self.message = QLabel(wordWrap=True, alignment=Qt.AlignCenter, textFormat=Qt.PlainText)
        self.message.setStyleSheet("font-size: 12pt; font-weight: 600;")
        hint = QLabel("The app keeps trying and picks the camera up again when it comes back.",
                      wordWrap=True, alignment=Qt.AlignCenter)
        hint.setStyleSheet("color: #d1d5db;")
        buttons = QHBoxLayout()
        self.source_buttons: list[QPushButton] = []  # the operator's: set_choosing hides them from end users
        for text, signal in (("Choose camera…", self.choose_camera), ("Open video file…", self.open_file),
                             ("Retry now", self.retry)):
            button = QPushButton(text)
            button.clicked.connect(signal)
            buttons.addWidget(button)
            if signal is not self.retry:
                self.source_buttons.append(button)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        return card

    def set_choosing(self, allowed: bool) -> None:
        """Offer another camera or a video file on the message card (operators), or only a retry (end users)."""
        for button in self.source_buttons:
            button.setVisible(allowed)
        self._place_overlay()

    def _on_frame(self) -> None:
        if self.isVisible():
            self.update()

    def _on_state(self) -> None:
        self.message.setText(self.feed.message)
        self.overlay.setVisible(not self.feed.live)
        self._place_overlay()
        self.update()

    def _place_overlay(self) -> None:
        width = min(self.width() - 40, 520)
        self.overlay.setFixedWidth(max(width, 260))
        self.overlay.adjustSize()
        self.overlay.move((self.width() - self.overlay.width()) // 2, (self.height() - self.overlay.height()) // 2)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place_overlay()
        self._publish_size()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._publish_size()

    def _publish_size(self) -> None:
        """Let the feed scale frames to this view's size, off the GUI thread (only the visible view asks)."""
        if self.isVisible():
            ratio = self.devicePixelRatioF()
            self.feed.set_display_size(round(self.width() * ratio), round(self.height() * ratio))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(style.VIEW_BACKGROUND))
        picture, tracked = self.feed.latest()
        if picture is None or not self.feed.live:
            return
        pixels = picture.pixels
        image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0], QImage.Format_RGB888)
        image.setDevicePixelRatio(self.devicePixelRatioF())
        width, height = picture.frame_size
        scale = min(self.width() / width, self.height() / height)
        target = QRectF((self.width() - width * scale) / 2, (self.height() - height * scale) / 2,
                        width * scale, height * scale)
        painter.drawImage(target, image)  # already at this size, except just after a resize
        if picture is not self._shown:
            self._shown = picture
            self.frames_shown += 1
        if tracked and tracked.face and time.monotonic() - tracked.time < BOX_MAX_AGE:
            self.last_box = tracked.face.box
            x, y, w, h = tracked.face.box
            painter.setRenderHint(QPainter.Antialiasing)
            painter.setPen(QPen(QColor(style.BOX), 3))
            painter.drawRoundedRect(QRectF(target.x() + x * scale, target.y() + y * scale, w * scale, h * scale), 6, 6)
