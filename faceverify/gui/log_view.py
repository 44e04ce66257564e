"""The Log tab: the latest verification attempts from the audit log, newest first."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from faceverify.audit import AuditEntry

from . import style
from .context import AppContext
from .tables import Table
from .widgets import label

RECENT = 200
HEADERS = ["Time", "Person", "Result", "Positive share", "Mean score", "Thresholds (det. / ver.)", "Source",
           "Crop kept", "Model"]
RESULT_COLUMN = HEADERS.index("Result")


def local_time(iso: str) -> str:
    """An audit time (UTC, ISO-8601) in the local time zone."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def row(entry: AuditEntry) -> list[str]:
    return [
        local_time(entry.time), entry.person, "VERIFIED" if entry.verified else "NOT VERIFIED",
        f"{entry.share:.0%}", f"{entry.mean_score:.3f}",
        f"{entry.detection_threshold:.2f} / {entry.verification_threshold:.2f}",
        f"{entry.source} · {entry.image}", "yes" if entry.crop else "", entry.model_version,
    ]


class LogView(QWidget):
    """Re-reads the log when it is shown, and when an attempt is added while it is shown."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.table = Table(HEADERS, "No verification attempts yet.\nEach one made in the Verify tab is recorded here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(label(f"Recent attempts (the latest {RECENT})", "heading"))
        layout.addWidget(self.table, 1)
        context.audit_changed.connect(self._on_audit_changed)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def _on_audit_changed(self) -> None:
        if self.isVisible():  # otherwise the next showEvent refreshes
            self.refresh()

    def refresh(self) -> None:
        entries = self.context.audit.recent(RECENT)
        self.table.fill([row(entry) for entry in entries])
        for index, entry in enumerate(entries):
            result = self.table.item(index, RESULT_COLUMN)
            result.setForeground(QColor(style.SUCCESS if entry.verified else style.DANGER))
            font = result.font()
            font.setBold(True)
            result.setFont(font)
