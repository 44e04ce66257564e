"""The Enroll & Train tab: choose or name a person, capture anchors and positives, import a folder, then train."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from faceverify.enrollment.enroll import EnrollResult
from faceverify.errors import InvalidNameError
from faceverify.gui import dialogs, jobs
from faceverify.gui.camera_view import CameraView
from faceverify.gui.context import AppContext
from faceverify.gui.image_list import ImageList
from faceverify.gui.qt_compat import emit
from faceverify.gui.train_panel import NegativesBox, TrainBox
from faceverify.gui.widgets import label, show_message, view_with_side_panel
from faceverify.gui.workers import Task
from faceverify.home.store import ROLES, validate_name
from faceverify.training.readiness import plural

DEFAULT_BURST = 10


class EnrollTab(QWidget):
    """Steps 1 to 3: enroll a person (camera or folder), import negatives, train."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view = CameraView(context.feed)
        self.lists = {role: ImageList(f"No {role}s yet: press {role[0].upper()} to capture one") for role in ROLES}
        self.titles = {role: label(wrap=False) for role in ROLES}
        self.busy_task: Task | None = None  # a capture or folder import in progress
        self.negatives = NegativesBox(context)
        self.trainer = TrainBox(context)

        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self.view, 3)
        left.addWidget(self._make_images_box(), 2)
        view_with_side_panel(self, left, [self._make_enroll_box(), self.negatives, self.trainer])

        for key, capture in (("A", self.capture_anchor), ("P", self.capture_positive)):
            QShortcut(QKeySequence(key), self, activated=capture)
        context.people_changed.connect(self._fill_people)
        self._fill_people()
        self._on_name_changed(self.person.currentText())

    # -- building -----------------------------------------------------------------------------------------
    def _make_enroll_box(self) -> QGroupBox:
        box = QGroupBox("1 · Enroll a person")
        self.person = QComboBox(editable=True, insertPolicy=QComboBox.NoInsert,
                                toolTip="Choose an enrolled person, or type a new name")
        self.person.lineEdit().setPlaceholderText("Name of a new person")
        self.person.currentTextChanged.connect(self._on_name_changed)
        self.name_message = label(role="hint")
        self.anchor_button = QPushButton("Capture anchor  (A)",
                                         toolTip="An image of the person that training pairs with the positives")
        self.positive_button = QPushButton("Capture positive  (P)",
                                           toolTip="An image of the person that verification compares the camera with")
        self.anchor_button.clicked.connect(self.capture_anchor)
        self.positive_button.clicked.connect(self.capture_positive)
        self.burst = QCheckBox("Burst of")
        self.burst_size = QSpinBox(minimum=2, maximum=100, value=DEFAULT_BURST,
                                   suffix=f" frames, {round(jobs.CAPTURE_INTERVAL * 1000)} ms apart")
        self.folder_button = QPushButton("Import images from a folder…")
        self.folder_button.clicked.connect(self.import_folder)
        self.capture_message = label(role="hint")
        grid = QGridLayout(box)
        grid.setSpacing(8)
        grid.addWidget(self.person, 0, 0, 1, 2)
        grid.addWidget(self.name_message, 1, 0, 1, 2)
        grid.addWidget(self.anchor_button, 2, 0)
        grid.addWidget(self.positive_button, 2, 1)
        burst = QHBoxLayout()
        burst.addWidget(self.burst)
        burst.addWidget(self.burst_size, 1)
        grid.addLayout(burst, 3, 0, 1, 2)
        grid.addWidget(self.folder_button, 4, 0, 1, 2)
        grid.addWidget(self.capture_message, 5, 0, 1, 2)
        return box

    def _make_images_box(self) -> QGroupBox:
        box = QGroupBox("Images of this person")
        remove = QPushButton("Remove selected", toolTip="Delete the selected images (key Delete)")
        remove.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence.Delete, box, activated=self.remove_selected, context=Qt.WidgetWithChildrenShortcut)
        grid = QGridLayout(box)
        grid.setSpacing(6)
        for column, role in enumerate(ROLES):
            grid.addWidget(self.titles[role], 0, column)
            grid.addWidget(self.lists[role], 1, column)
        grid.addWidget(remove, 2, 1, Qt.AlignRight)
        return box

    # -- person ----------------------------------------------------------------------------------------------
    def name(self) -> str | None:
        """The valid person's name typed or chosen, else None (and the reason is shown)."""
        try:
            return validate_name(self.person.currentText())
        except InvalidNameError as error:
            show_message(self.name_message, str(error), "error")
            return None

    def _fill_people(self) -> None:
        current = self.person.currentText()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItems([p.name for p in self.context.store.people()])
        self.person.setCurrentText(current)
        self.person.blockSignals(False)
        self._show_known()

    def _on_name_changed(self, text: str) -> None:
        for widget in self.lists.values():
            widget.clear()
        if not text.strip():
            show_message(self.name_message, "Choose a person or type a new name.")
            self._show_counts()
            return
        name = self.name()
        if name is None:
            self._show_counts()
            return
        self._show_known()
        task = Task(jobs.load_images, self.context.store, name)
        task.succeeded.connect(self._show_images)
        task.start()
        self._show_counts()

    def _show_known(self) -> None:
        """Say whether the valid name typed is someone enrolled or a new person (stays true after a capture)."""
        try:
            name = validate_name(self.person.currentText())
        except InvalidNameError:
            return  # the reason is already shown
        known = self.context.store.has_person(name)
        show_message(self.name_message, "Enrolled person." if known else "New person: the first capture creates them.")

    def _show_images(self, result: tuple[str, dict[str, list[tuple[Path, np.ndarray]]]]) -> None:
        name, images = result
        if name != self.person.currentText().strip():
            return  # the person changed while the images were loading
        for role, items in images.items():
            for path, pixels in items:
                self.lists[role].add(path, pixels)
        self._show_counts()

    def _show_counts(self) -> None:
        for role in ROLES:
            self.titles[role].setText(f"<b>{role.capitalize()}s</b> ({self.lists[role].count()})")

    # -- capture ------------------------------------------------------------------------------------------------
    def capture_anchor(self) -> None:
        self._capture("anchor")

    def capture_positive(self) -> None:
        self._capture("positive")

    def _capture(self, role: str) -> None:
        name = self.name()
        if name is None or self.busy_task is not None:
            return
        count = self.burst_size.value() if self.burst.isChecked() else 1
        self._set_capturing(True)
        show_message(self.capture_message, f"Capturing {plural(count, role)}…")
        self.busy_task = Task(jobs.capture, self.context, name, role, count)
        self.busy_task.progressed.connect(self._on_captured)
        self.busy_task.succeeded.connect(self._on_capture_done)
        self.busy_task.failed.connect(self._on_capture_failed)
        self.busy_task.finished.connect(self._on_capture_finished)
        self.busy_task.start()

    def _on_captured(self, capture: jobs.Capture) -> None:
        if capture.path is None:
            show_message(self.capture_message, "No face in that frame: not captured. Face the camera.", "error")
            return
        self.lists[capture.role].add(capture.path, capture.pixels)
        self._show_counts()

    def _on_capture_done(self, captured: jobs.Captured) -> None:
        repeated = (f" ({plural(captured.repeated, 'frame')} repeated an image already stored: not stored twice)"
                    if captured.repeated else "")
        if captured.stored or captured.repeated:
            show_message(self.capture_message, f"Captured {plural(captured.stored, 'new image')}{repeated}.",
                         "ok" if captured.stored else "error")
        emit(self.context.people_changed)

    def _on_capture_failed(self, message: str) -> None:
        show_message(self.capture_message, message, "error")

    def _on_capture_finished(self) -> None:
        self.busy_task = None
        self._set_capturing(False)

    def _set_capturing(self, busy: bool) -> None:
        for button in (self.anchor_button, self.positive_button, self.folder_button):
            button.setEnabled(not busy)

    # -- images ----------------------------------------------------------------------------------------------------
    def remove_selected(self) -> None:
        removed = 0
        for widget in self.lists.values():
            for item in widget.selectedItems():
                self.context.store.remove_image(item.data(Qt.UserRole))
                widget.remove(item)
                removed += 1
        if removed:
            show_message(self.capture_message, f"Removed {plural(removed, 'image')}.")
            self._show_counts()
            emit(self.context.people_changed)

    def import_folder(self) -> None:
        name = self.name()
        if name is None or self.busy_task is not None:
            return
        if folder := dialogs.open_folder(self, self.context, f"Folder of images of {name}"):
            self.enroll_folder(name, folder)

    def enroll_folder(self, name: str, folder: Path) -> None:
        """Add every image of ``folder`` to ``name``, alternating anchors and positives (in a worker)."""
        self._set_capturing(True)
        show_message(self.capture_message, f"Reading images in {folder.name}…")
        self.busy_task = Task(jobs.enroll_folder, self.context.store, name, folder)
        self.busy_task.succeeded.connect(self._on_folder_enrolled)
        self.busy_task.failed.connect(self._on_capture_failed)
        self.busy_task.finished.connect(self._on_capture_finished)
        self.busy_task.start()

    def _on_folder_enrolled(self, result: EnrollResult) -> None:
        notes = [text for n, text in ((result.without_face, f"{plural(result.without_face, 'image')} without a "
                                                             "detected face"),
                                      (len(result.skipped), f"{plural(len(result.skipped), 'unreadable file')} "
                                                            "skipped")) if n]
        text = f"Added {plural(result.added['anchor'], 'anchor')} and {plural(result.added['positive'], 'positive')}"
        show_message(self.capture_message, text + (f" ({', '.join(notes)})." if notes else "."), "ok")
        emit(self.context.people_changed)
        self._on_name_changed(self.person.currentText())
