"""Steps 2 and 3 of the Enroll & Train tab: import LFW negatives, and train the model (both in worker threads)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from faceverify.durations import format_duration
from faceverify.enrollment import ImportResult
from faceverify.rule import calibration_text
from faceverify.training_types import Progress, TrainingConfig, TrainingResult

from . import jobs
from .context import AppContext
from .qt_compat import emit
from .widgets import label, primary_button, progress_bar, show_message
from .workers import Task

ARCHIVE_FILTER = "LFW archive (*.tgz *.tar.gz *.tar *.tar.bz2 *.tar.xz);;All files (*)"


def _start(box: NegativesBox | TrainBox, succeeded: Callable[[object], None], job: Callable[..., object],
           *args: object) -> Task:
    """Run ``job`` on a worker thread with its signals wired to ``box``'s progress, failure and end handlers."""
    task = Task(job, *args)
    task.progressed.connect(box._on_progress)
    task.succeeded.connect(succeeded)
    task.failed.connect(box._on_failed)
    task.finished.connect(box._on_finished)
    return task.start()


class NegativesBox(QGroupBox):
    """Import LFW as negatives from lfw.tgz or its folder, with progress and Cancel."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("2 · Import negatives", parent)
        self.context = context
        self.task: Task | None = None
        self.count = label("Counting the negative images…", "hint")
        self.import_button = QPushButton("Import LFW…", toolTip="Faces of other people, from lfw.tgz or its folder")
        menu = QMenu(self.import_button)
        menu.addAction("From the archive (lfw.tgz)…", self.import_archive)
        menu.addAction("From a folder…", self.import_folder)
        self.import_button.setMenu(menu)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = progress_bar()
        self.progress.hide()
        self.status = label(role="hint")
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.count)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        context.negatives_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        task = Task(jobs.count_negatives, self.context.store)
        task.succeeded.connect(self._show_count)
        task.start()

    def _show_count(self, count: int) -> None:
        self.count.setText(f"{count:,} negative images" if count else "No negatives yet")

    def import_archive(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "LFW archive", "", ARCHIVE_FILTER)
        if path:
            self.start_import(Path(path))

    def import_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "LFW folder")
        if path:
            self.start_import(Path(path))

    def start_import(self, source: Path) -> None:
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        show_message(self.status, f"Reading {source.name}…")
        self.task = _start(self, self._on_imported, jobs.import_negatives, self.context.store, source)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _on_progress(self, value: tuple[int, int | None]) -> None:
        done, total = value
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        show_message(self.status, f"{done:,} of {total:,} images" if total else f"{done:,} images")

    def _on_imported(self, result: ImportResult) -> None:
        notes = [f"{n:,} {what}" for n, what in ((result.already_there, "already there"),
                                                  (result.unreadable, "unreadable"),
                                                  (result.without_face, "without a detected face")) if n]
        details = f" ({', '.join(notes)})" if notes else ""
        show_message(self.status, f"Added {result.added:,} negatives{details}", "ok")
        emit(self.context.negatives_changed)

    def _on_failed(self, message: str) -> None:
        show_message(self.status, message, "hint" if self.task and self.task.cancelled() else "error")

    def _on_finished(self) -> None:
        self.task = None
        self.import_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)


FINE_TUNE_TIP = ("Continue from the model you trained last instead of the generic model that comes with faceverify "
                 "(either way the model learns what it already knew, adapted to the enrolled people)")

class TrainBox(QGroupBox):
    """Train: epochs, progress (epoch, loss, validation precision and recall, time left), Cancel, final figures."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("3 · Train", parent)
        self.context = context
        self.task: Task | None = None
        self.epochs = QSpinBox(minimum=1, maximum=1000, value=TrainingConfig.epochs, suffix=" epochs")
        self.fine_tune = QCheckBox("Start from the current model", toolTip=FINE_TUNE_TIP)
        self.train_button = primary_button("Train")
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = progress_bar(1000)
        self.progress.hide()
        self.status = label(role="hint")
        self.figures = label(role="hint")
        row = QHBoxLayout()
        row.addWidget(self.epochs)
        row.addWidget(self.train_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(row)
        layout.addWidget(self.fine_tune)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.figures)
        show_message(self.status, "Trains a new model on the enrolled people and the negatives.")
        context.model_changed.connect(self._offer_fine_tune)
        self._offer_fine_tune()

    def _offer_fine_tune(self) -> None:
        """Starting from the current model is possible (and ticked) once there is one."""
        self.fine_tune.setEnabled(self.context.has_own_model())
        self.fine_tune.setChecked(self.context.has_own_model())

    @property
    def running(self) -> bool:
        return self.task is not None

    def train(self) -> None:
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.figures.clear()
        show_message(self.status, "Loading TensorFlow and the images…")
        self.task = _start(self, self._on_trained, jobs.train, self.context.store, self.epochs.value(),
                           self.fine_tune.isChecked())

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            show_message(self.status, "Cancelling after this step…")

    def _on_progress(self, progress: Progress) -> None:
        done = (progress.epoch - 1 + progress.step / max(progress.steps, 1)) / progress.epochs
        self.progress.setValue(round(done * 1000))
        where = "validating" if progress.validating else f"step {progress.step} of {progress.steps}"
        lines = [f"<b>Epoch {progress.epoch} of {progress.epochs}</b> · {where} · loss {progress.loss:.3f}",
                 f"About {format_duration(progress.remaining)} left"]
        if progress.last_epoch:
            lines.append(f"After epoch {progress.last_epoch.epoch}: validation precision "
                         f"{progress.last_epoch.val_precision:.2f} · recall {progress.last_epoch.val_recall:.2f}")
        show_message(self.status, "<br>".join(lines), rich=True)

    def _on_trained(self, result: TrainingResult) -> None:
        last = result.history[-1]
        seconds = sum(epoch.seconds for epoch in result.history)
        epochs = len(result.history)
        show_message(self.status, f"Trained {epochs} epoch{'s' if epochs != 1 else ''} in {format_duration(seconds)}. "
                                  "Verify uses the new model now.", "ok")
        self.figures.setText(
            f"<b>Validation</b>: precision {last.val_precision:.3f} · recall {last.val_recall:.3f} · "
            f"accuracy {last.val_accuracy:.3f} · loss {last.val_loss:.3f} (training loss {last.loss:.3f})"
            + calibration_text(result.calibration, "<br>")
        )
        self.context.check_model()

    def _on_failed(self, message: str) -> None:
        if self.task and self.task.cancelled():
            show_message(self.status, "Training cancelled. Train again with the same number of epochs to continue "
                                      "from the last saved epoch.")
        else:
            show_message(self.status, message, "error")

    def _on_finished(self) -> None:
        self.task = None
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
