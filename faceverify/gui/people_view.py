"""The People tab: who is enrolled, how many images each has; open one in Enroll, or remove one for good."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from faceverify.enrollment.transfer import Transferred
from faceverify.gui import dialogs, jobs
from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.gui.tables import Table
from faceverify.gui.widgets import label, show_message
from faceverify.gui.workers import Task
from faceverify.training.readiness import MIN_PAIR_IMAGES, plural
from faceverify.verification.levels import PersonThreshold

ARCHIVE_FILTER = "Enrollment archives (*.zip);;All files (*)"


def _images(done: Transferred) -> str:
    return f"{plural(done.anchors, 'anchor')} and {plural(done.positives, 'positive')}"


def removal_question(name: str) -> tuple[str, str, str]:
    """The title, text and action of the question before a removal."""
    return ("Remove person", f"Remove {name}? This deletes all their images and every audit log entry about them. "
            "It cannot be undone. Train again afterwards so that the model forgets them too.", f"Remove {name}")


def import_text(done: Transferred) -> str:
    """What an import added, in words: nothing new when every image was enrolled already."""
    if not done.anchors + done.positives:
        return f"Nothing new to import: all {plural(done.already_there, 'image')} of {done.name} are enrolled already."
    again = f" ({plural(done.already_there, 'image')} enrolled already, left as they were)" \
        if done.already_there else ""
    return f"Imported {done.name}: {_images(done)} added{again}."


class PeopleView(QWidget):
    """Lists the people; removing one deletes their images and their audit log entries (privacy)."""

    enroll = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.table = Table(["Name", "Anchors", "Positives", "Ready to train", "Threshold at the security level"],
                           "Nobody is enrolled yet.\nAdd people in Enroll & Train.")
        self.thresholds: dict[str, PersonThreshold | str] = {}  # by name, from the last level_thresholds job
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(self.open_selected)
        self.open_button = QPushButton("Open in Enroll && Train", enabled=False)
        self.open_button.clicked.connect(self.open_selected)
        self.remove_button = QPushButton("Remove…", enabled=False, toolTip="Delete the person's images and log entries")
        self.remove_button.clicked.connect(self.remove_selected)
        self.export_button = QPushButton("Export…", enabled=False,
                                         toolTip="Save the person's images in one file, to enroll them elsewhere")
        self.export_button.clicked.connect(self.ask_export)
        self.import_button = QPushButton("Import…", toolTip="Add a person from a file made by Export")
        self.import_button.clicked.connect(self.ask_import)
        self.message = label(role="hint")
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for button in (self.import_button, self.export_button, self.open_button, self.remove_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(label("People", "heading"))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        for changed in (context.people_changed, context.model_changed, context.level_changed):
            changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """List the people at once; their thresholds follow from a worker (the model may have to load first)."""
        self._fill()
        if self.context.has_model() and self.context.store.people():
            task = Task(jobs.level_thresholds, self.context)
            task.succeeded.connect(self._show_thresholds)
            task.start()

    def _fill(self) -> None:
        self.table.fill([
            [p.name, str(p.anchors), str(p.positives),
             "yes" if min(p.anchors, p.positives) >= MIN_PAIR_IMAGES else f"needs {MIN_PAIR_IMAGES} of each",
             self._threshold_text(p.name)]
            for p in self.context.store.people()
        ])
        self._on_selection()

    def _threshold_text(self, name: str) -> str:
        found = self.thresholds.get(name)
        if found is None:
            return ""
        if isinstance(found, str):
            return found
        return ("⚠ " if not found.reachable else "") + found.describe()

    def _show_thresholds(self, thresholds: dict) -> None:
        self.thresholds = thresholds
        self._fill()
        warnings = [found.warning() for found in thresholds.values()
                    if isinstance(found, PersonThreshold) and found.warning()]
        if warnings:
            show_message(self.message, " ".join(warnings), "error")

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.cell(rows[0].row(), 0) if rows else None

    def _on_selection(self) -> None:
        for button in (self.open_button, self.remove_button, self.export_button):
            button.setEnabled(self.selected() is not None)

    def open_selected(self) -> None:
        if name := self.selected():
            emit(self.enroll, name)

    def remove_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        if dialogs.confirm(self, *removal_question(name)):
            self.remove(name)

    def remove(self, name: str) -> None:
        """Delete ``name`` (images, cached embeddings, audit entries) in a worker."""
        self.remove_button.setEnabled(False)
        task = Task(jobs.remove_person, self.context, name)
        task.succeeded.connect(self._on_removed)
        task.failed.connect(self._on_failed)
        task.start()

    def ask_export(self) -> None:
        if name := self.selected():
            if path := dialogs.save_file(self, self.context, f"Export {name}", f"{name}.zip", ARCHIVE_FILTER):
                self.export_selected(path)

    def ask_import(self) -> None:
        if path := dialogs.open_file(self, self.context, "Import a person", ARCHIVE_FILTER):
            self.import_file(path)

    def export_selected(self, path: Path) -> None:
        """Write the selected person's enrollment to the archive ``path`` (in a worker)."""
        if name := self.selected():
            self._run(jobs.export_person, self._on_exported, name, path)

    def import_file(self, path: Path) -> None:
        """Add the person in an archive made by Export (in a worker)."""
        self._run(jobs.import_person, self._on_imported, path)

    def _run(self, job: Callable[..., Transferred], done: Callable[[Transferred], None], *args: object) -> None:
        task = Task(job, self.context.store, *args)
        task.succeeded.connect(done)
        task.failed.connect(self._on_failed)
        task.start()

    def _on_exported(self, done: Transferred) -> None:
        show_message(self.message, f"Exported {done.name}: {_images(done)}.", "ok")

    def _on_imported(self, done: Transferred) -> None:
        show_message(self.message, import_text(done), "ok" if done.anchors + done.positives else "hint")
        emit(self.context.people_changed)

    def _on_removed(self, removed: tuple[str, int]) -> None:
        name, entries = removed
        logged = (f" and {entries} audit log entr{'y' if entries == 1 else 'ies'} about them" if entries
                  else ". The audit log had no entries about them")
        show_message(self.message, f"Removed {name}: their images{logged}.", "ok")
        emit(self.context.people_changed)
        emit(self.context.audit_changed)

    def _on_failed(self, message: str) -> None:
        show_message(self.message, message, "error")
        self.refresh()
