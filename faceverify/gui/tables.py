"""Views with an empty-state message: a read-only table of text rows, and the helper that paints the message."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from faceverify.gui import style


def paint_placeholder(view: QAbstractItemView, text: str) -> None:
    """Write ``text`` in the middle of an empty view (call from its paintEvent, after the base class)."""
    painter = QPainter(view.viewport())
    painter.setPen(QColor(style.MUTED))
    painter.drawText(view.viewport().rect().adjusted(12, 12, -12, -12), Qt.AlignCenter | Qt.TextWordWrap, text)


class Table(QTableWidget):
    """Rows of text under fixed headers, selected whole; ``placeholder`` shows while there are none.

    Columns fit their contents, but the last one takes what room is left (so put the longest last).
    """

    def __init__(self, headers: list[str], placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.placeholder = placeholder
        self.setHorizontalHeaderLabels(headers)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(36)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)

    def fill(self, rows: list[list[str]]) -> None:
        self.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.setItem(row, column, QTableWidgetItem(value))

    def cell(self, row: int, column: int) -> str:
        return self.item(row, column).text()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.rowCount() == 0:
            paint_placeholder(self, self.placeholder)
