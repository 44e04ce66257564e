"""Steps 2 and 3 of the Enroll & Train tab: import LFW negatives, and train the model (both in worker threads)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from faceverify.durations import format_duration
from faceverify.enrollment.enroll import ImportResult
from faceverify.gui import dialogs, jobs
from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.gui.widgets import label, primary_button, progress_bar, show_message
from faceverify.gui.workers import Task
from faceverify.home.settings import TABLE
from faceverify.training.config import Progress, TrainingResult
from faceverify.training.readiness import (
    discard_interrupted,
    interrupted_training,
    judge_model,
    plural,
    training_blocker,
)
from faceverify.verification.rule import calibration_text

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
        if self.task is None:  # during an import the count would be stale
            self.count.setText(plural(count, "negative image") if count else "No negatives yet")

    def import_archive(self) -> None:
        if path := dialogs.open_file(self, self.context, "LFW archive", ARCHIVE_FILTER):
            self.start_import(path)

    def import_folder(self) -> None:
        if path := dialogs.open_folder(self, self.context, "LFW folder"):
            self.start_import(path)

    def start_import(self, source: Path) -> None:
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        show_message(self.status, f"Reading {source.name}…")
        self.count.setText("Importing negatives…")
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
        self.refresh()


FINE_TUNE_TIP = ("Continue from the model you trained last instead of the generic model that comes with faceverify "
                 "(either way the model learns what it already knew, adapted to the enrolled people)")


class TrainBox(QGroupBox):
    """Train: epochs, progress (epoch, loss, validation precision and recall, time left), Cancel, the new model's
    judgement; Train is disabled, with the reason, until there is something to train on; an interrupted training can
    be resumed or discarded. The options are remembered and locked while a training runs."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("3 · Train", parent)
        self.context = context
        self.task: Task | None = None
        self.epochs = QSpinBox(minimum=1, maximum=int(TABLE["train_epochs"].range[1]),
                               toolTip="How many times training goes over the images")
        self.epochs.valueChanged.connect(self._name_epochs)
        self.epochs.setValue(context.setting("train_epochs"))
        self._name_epochs(self.epochs.value())
        self.fine_tune = QCheckBox("Start from the current model", toolTip=FINE_TUNE_TIP)
        self.train_button = primary_button("Train")
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = progress_bar(1000)
        self.progress.hide()
        self.blocker = label(role="hint")
        self.status = label(role="hint")
        self.figures = label(role="hint")
        self.figures.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.interrupted = self._make_interrupted_row()
        row = QHBoxLayout()
        row.addWidget(self.epochs)
        row.addWidget(self.train_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(row)
        layout.addWidget(self.fine_tune)
        layout.addWidget(self.blocker)
        layout.addWidget(self.interrupted)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.figures)
        for signal in (context.people_changed, context.negatives_changed, context.model_changed):
            signal.connect(self.refresh)
        self.refresh()

    def _make_interrupted_row(self) -> QWidget:
        row = QWidget()
        self.interrupted_text = label(role="hint")
        self.resume_button = QPushButton("Resume", toolTip="Continue the unfinished training from its last epoch")
        self.resume_button.clicked.connect(self.resume)
        self.discard_button = QPushButton("Discard", toolTip="Delete the unfinished training to free the space")
        self.discard_button.clicked.connect(self.discard)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.interrupted_text, 1)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.discard_button)
        return row

    def _name_epochs(self, value: int) -> None:
        self.epochs.setSuffix(" epoch" if value == 1 else " epochs")

    @property
    def running(self) -> bool:
        return self.task is not None

    def refresh(self) -> None:
        """Enable what can be done now and say why the rest cannot (nothing changes while a training runs)."""
        if self.running:
            return
        blocker = training_blocker(self.context.store)
        self.train_button.setEnabled(blocker is None)
        self.train_button.setToolTip(blocker or "Train a new model on the enrolled people and the negatives")
        show_message(self.blocker, blocker or "")
        self.blocker.setVisible(blocker is not None)
        own_model = self.context.has_own_model()  # without one, training starts from the shipped generic model
        self.fine_tune.setEnabled(own_model)
        self.fine_tune.setChecked(own_model and self.context.setting("train_fine_tune"))
        self.epochs.setEnabled(True)
        interrupted = interrupted_training(self.context.store)
        self.interrupted.setVisible(interrupted is not None)
        if interrupted:
            self.interrupted_text.setText(interrupted.describe())
            self.resume_button.setEnabled(blocker is None)

    def train(self, resume: bool = False) -> None:
        """Train with the options shown (remembered for next time), or resume the interrupted training."""
        if not resume:  # remembered; starting from a model only where there was one to start from
            fine_tune = self.fine_tune.isChecked() if self.fine_tune.isEnabled() else None
            self.context.store.save_settings(train_epochs=self.epochs.value(), train_fine_tune=fine_tune)
        for widget in (self.train_button, self.epochs, self.fine_tune):
            widget.setEnabled(False)
        self.interrupted.hide()
        self.blocker.hide()
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.figures.clear()
        show_message(self.status, "Loading TensorFlow and the images…")
        self.task = _start(self, self._on_trained, jobs.train, self.context.store, self.epochs.value(),
                           self.fine_tune.isChecked(), resume)

    def resume(self) -> None:
        self.train(resume=True)

    def discard(self) -> None:
        """Delete the unfinished training, once the operator has said so (Cancel is the default)."""
        if not dialogs.confirm(self, "Discard the unfinished training",
                               f"{self.interrupted_text.text()} Discard it? Its saved epochs are deleted and cannot "
                               "be resumed.", "Discard"):
            return
        discard_interrupted(self.context.store)
        show_message(self.status, "The unfinished training was deleted.")
        self.refresh()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            show_message(self.status, "Cancelling after this step…")

    def _on_progress(self, progress: Progress) -> None:
        done = (progress.epoch - 1 + progress.step / max(progress.steps, 1)) / progress.epochs
        self.progress.setValue(round(done * 1000))
        where = "checking the model" if progress.validating else f"step {progress.step} of {progress.steps}"
        lines = [f"<b>Epoch {progress.epoch} of {progress.epochs}</b> · {where}",
                 f"About {format_duration(progress.remaining)} left"]
        show_message(self.status, "<br>".join(lines), rich=True)

    def _on_trained(self, result: TrainingResult) -> None:
        last = result.history[-1]
        seconds = sum(epoch.seconds for epoch in result.history)
        trained = f"Trained {plural(len(result.history), 'epoch')} in {format_duration(seconds)}."
        compared = f" {result.comparison.describe()}" if result.comparison else ""
        if not result.replaced:
            show_message(self.status, f"{trained}{compared}", "error")
        else:
            judgement = judge_model(result.calibration)
            use = ("Verify uses it now." if judgement.usable
                   else "Verify uses it now, but its answers cannot be trusted.")
            # where the comparison follows, its figures (with their 95% intervals) replace the bare error rate
            said = f"{judgement.verdict}{compared}" if compared else f"{judgement.text} {use}"
            show_message(self.status, f"{trained} {said}", "ok" if judgement.usable else "error")
        self.figures.setText(
            f"Details: validation precision {last.val_precision:.3f} · recall {last.val_recall:.3f} · "
            f"accuracy {last.val_accuracy:.3f} · loss {last.val_loss:.3f} (training loss {last.loss:.3f})"
            + calibration_text(result.calibration, "<br>")
        )
        self.context.check_model()

    def _on_failed(self, message: str) -> None:
        if self.task and self.task.cancelled():
            show_message(self.status, "Training cancelled. The model in use has not changed.")
        else:
            show_message(self.status, message, "error")

    def _on_finished(self) -> None:
        self.task = None
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        self.refresh()
