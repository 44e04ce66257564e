"""The Log tab: the latest verification attempts from the audit log, newest first, filtered, exportable as CSV."""
from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QPushButton, QVBoxLayout, QWidget

from faceverify.files import atomic
from faceverify.gui import dialogs, style
from faceverify.gui.context import AppContext
from faceverify.gui.tables import Table
from faceverify.gui.widgets import label, show_message
from faceverify.home.audit import AuditEntry, to_csv
from faceverify.model.current import model_version

RECENT = 200
HEADERS = ["Time", "Person", "Result", "Liveness", "Positive share", "Mean score", "Thresholds (det. / ver.)",
           "Model", "Crop kept", "Source"]
RESULT_COLUMN, LIVENESS_COLUMN = HEADERS.index("Result"), HEADERS.index("Liveness")
LIVENESS_WIDTH = 220  # a long reason is cut short here (the operator can widen the column) and shown whole on hover
EMPTY = "No verification attempts yet.\nEach one made in the Verify tab is recorded here."
ANYONE, ANY_RESULT = "Everyone", "Any result"
RESULTS = {ANY_RESULT: None, "Verified": True, "Not verified": False}
GENERIC_MODEL = "generic (comes with faceverify)"


def local_time(iso: str, seconds: bool = True) -> str:
    """An audit time (UTC, ISO-8601) in the local time zone."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))
    except ValueError:
        return iso


def model_text(entry: AuditEntry, current_version: str | None, current_label: str | None) -> str:
    """The model that decided, by its date as the status bar names it: "trained 2026-12-04 19:29", the generic
    model by name; a row logged before dates were recorded is dated when its model is still the one in use, or when
    its version holds the date."""
    if not entry.model_version:
        return ""  # nothing was scored (the liveness check failed)
    if entry.model_version.startswith("shipped-"):
        return GENERIC_MODEL
    if entry.model_trained:
        return f"trained {local_time(entry.model_trained, seconds=False)}"
    if entry.model_version == current_version and current_label:
        return current_label
    parts = entry.model_version.split("-")  # logs of early versions named a model by inode-mtime-size, in hex
    with contextlib.suppress(ValueError, OverflowError, OSError):
        if len(parts) == 3:
            return f"trained {datetime.fromtimestamp(int(parts[1], 16) / 1e9):%Y-%m-%d %H:%M}"
    return "an earlier model"


def liveness_text(entry: AuditEntry) -> str:
    """"passed", "failed: <the reason>", or "not checked" (images, live mode, the check turned off)."""
    return f"failed: {entry.liveness_reason}" if entry.liveness == "failed" else entry.liveness


def result_text(entry: AuditEntry) -> str:
    """VERIFIED, NOT VERIFIED, or ERROR with why the attempt could not be decided (e.g. a damaged model)."""
    if entry.error:
        return f"ERROR: {entry.error}"
    return "VERIFIED" if entry.verified else "NOT VERIFIED"


def row(entry: AuditEntry, model: str) -> list[str]:
    scored = bool(entry.model_version) and not entry.error  # a failed liveness check or an error scores nothing
    return [
        local_time(entry.time), entry.person, result_text(entry), liveness_text(entry),
        f"{entry.share:.0%}" if scored else "", f"{entry.mean_score:.3f}" if scored else "",
        f"{entry.detection_threshold:.3f} / {entry.verification_threshold:.2f}", model,
        "yes" if entry.crop else "", f"{entry.source} · {entry.image}",
    ]


class LogView(QWidget):
    """Re-reads the log when it is shown, and when an attempt is added while it is shown."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.entries: list[AuditEntry] = []  # those shown, after the filters
        self.table = Table(HEADERS, EMPTY)
        self.table.horizontalHeader().setSectionResizeMode(LIVENESS_COLUMN, QHeaderView.Interactive)
        self.table.setColumnWidth(LIVENESS_COLUMN, LIVENESS_WIDTH)
        self.person = QComboBox(toolTip="Show the attempts of one person only")
        self.result = QComboBox(toolTip="Show verified or rejected attempts only")
        self.result.addItems(list(RESULTS))
        for box in (self.person, self.result):
            box.currentIndexChanged.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", toolTip="Save the attempts shown as a spreadsheet (CSV)")
        self.export_button.clicked.connect(self.ask_export)
        self.error = label(role="error")
        self.error.hide()
        bar = QHBoxLayout()
        bar.addWidget(label(f"Recent attempts (the latest {RECENT})", "heading"), 1)
        for widget in (self.person, self.result, self.export_button):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        context.audit_changed.connect(self._on_audit_changed)
        context.people_changed.connect(self._on_audit_changed)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def _on_audit_changed(self) -> None:
        if self.isVisible():  # otherwise the next showEvent refreshes
            self.refresh()

    def refresh(self) -> None:
        """Read the log again; an error reading it is shown as such, never as an empty log."""
        try:
            entries = self.context.audit.recent(RECENT)
        except sqlite3.Error as error:
            self.entries = []
            self.table.fill([])
            self.table.placeholder = "The log could not be read."
            show_message(self.error, f"The audit log could not be read: {error}. Nothing was lost; "
                                     "close other programs that use it, then switch tabs to try again.", "error")
            self.error.show()
            self.export_button.setEnabled(False)
            return
        self.error.hide()
        self.table.placeholder = EMPTY
        self._offer_people(sorted({entry.person for entry in entries}))
        person = self.person.currentText()
        verified = RESULTS[self.result.currentText()]
        self.entries = [e for e in entries if person in (ANYONE, e.person) and verified in (None, e.verified)]
        version, label = model_version(self.context.store), self.context.model_label()
        self.table.fill([row(entry, model_text(entry, version, label)) for entry in self.entries])
        self.export_button.setEnabled(bool(self.entries))
        for index, entry in enumerate(self.entries):
            liveness = self.table.item(index, LIVENESS_COLUMN)
            liveness.setToolTip(liveness.text())
            result = self.table.item(index, RESULT_COLUMN)
            result.setForeground(QColor(style.SUCCESS if entry.verified and not entry.error else style.DANGER))
            font = result.font()
            font.setBold(True)
            result.setFont(font)

    def _offer_people(self, names: list[str]) -> None:
        """The person filter's choices: everyone, and each person in the log (the choice is kept)."""
        current = self.person.currentText() or ANYONE
        blocked = self.person.blockSignals(True)
        self.person.clear()
        self.person.addItems([ANYONE, *names])
        self.person.setCurrentText(current if current in names else ANYONE)
        self.person.blockSignals(blocked)

    def ask_export(self) -> None:
        if path := dialogs.save_file(self, self.context, "Export the log", "faceverify-log.csv", "CSV files (*.csv)"):
            self.export(path)

    def export(self, path: Path) -> bool:
        """Write the attempts shown as CSV to ``path``; whether it was written (if not, the error is shown)."""
        try:
            atomic.write_text(path, to_csv(self.entries))
        except OSError as error:
            show_message(self.error, f"The log could not be exported: {error}", "error")
            self.error.show()
            return False
        return True
