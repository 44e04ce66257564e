"""A person's face crops as thumbnails, one list per role (the Enroll & Train tab shows anchors and positives)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from faceverify.gui.tables import paint_placeholder

THUMBNAIL = 64


def thumbnail(pixels: np.ndarray) -> QIcon:
    """An icon of a 100x100 RGB crop."""
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format_RGB888).copy()
    return QIcon(QPixmap.fromImage(image))


class ImageList(QListWidget):
    """One role's thumbnails; each item holds its file's path."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self.setViewMode(QListView.IconMode)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setGridSize(QSize(THUMBNAIL + 8, THUMBNAIL + 8))
        self.setMovement(QListView.Static)
        self.setResizeMode(QListView.Adjust)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setMinimumHeight(THUMBNAIL + 24)
        self._paths: set[Path] = set()

    def add(self, path: Path, pixels: np.ndarray) -> None:
        """Show a stored crop (once: the store keeps identical crops once too)."""
        if path in self._paths:
            return
        self._paths.add(path)
        item = QListWidgetItem(thumbnail(pixels), "")
        item.setData(Qt.UserRole, path)
        item.setToolTip(path.name)
        self.addItem(item)
        self.scrollToItem(item)

    def remove(self, item: QListWidgetItem) -> None:
        self._paths.discard(item.data(Qt.UserRole))
        self.takeItem(self.row(item))

    def clear(self) -> None:
        super().clear()
        self._paths.clear()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.count() == 0:
            paint_placeholder(self, self.placeholder)
