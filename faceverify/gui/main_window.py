"""The main window: camera chooser, the four tabs, and a status bar (camera and fps, model, data folder)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QToolBar

from .camera_picker import CameraPicker
from .camera_view import CameraView
from .context import AppContext
from .enroll_tab import EnrollTab
from .log_view import LogView
from .people_view import PeopleView
from .verify_tab import VerifyTab
from .workers import Task

STATUS_INTERVAL_MS = 1000
NOTICE_MS = 6000  # how long a notice stays in the status bar
EXIT_WAIT_S = 10  # at most this long, closing waits for running jobs (a training stops after its current step)


class MainWindow(QMainWindow):
    """faceverify's window over one AppContext."""

    def __init__(self, context: AppContext, camera: int | str) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle("faceverify")
        self.resize(1280, 820)

        self.picker = CameraPicker(context)
        self.picker.notice.connect(self._notice)
        toolbar = QToolBar("Camera", movable=False)
        toolbar.addWidget(self.picker)
        self.addToolBar(toolbar)

        self.verify_tab = VerifyTab(context)
        self.enroll_tab = EnrollTab(context)
        self.people_view = PeopleView(context)
        self.log_view = LogView(context)
        self.tabs = QTabWidget(documentMode=True)
        for widget, title in ((self.verify_tab, "Verify"), (self.enroll_tab, "Enroll && Train"),
                              (self.people_view, "People"), (self.log_view, "Log")):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)
        self.verify_tab.go_enroll.connect(self.show_enroll)
        self.people_view.enroll.connect(self.show_enroll)
        for view in (self.verify_tab.view, self.enroll_tab.view):
            self._connect_view(view)

        self.camera_status = QLabel(textFormat=Qt.PlainText)
        self.model_status = QLabel()
        self.statusBar().addWidget(self.camera_status)
        self.statusBar().addWidget(self.model_status)
        self.statusBar().addPermanentWidget(QLabel(f"Data: {context.store.root}", textFormat=Qt.PlainText))
        context.model_changed.connect(self._show_model)
        context.feed.state_changed.connect(self._show_camera)
        self._status_timer = QTimer(self, interval=STATUS_INTERVAL_MS)
        self._status_timer.timeout.connect(self._show_camera)
        self._status_timer.start()
        self._show_model()

        context.use_camera(camera)
        self.picker.find_devices()

    def _connect_view(self, view: CameraView) -> None:
        view.choose_camera.connect(self.picker.choose)
        view.open_file.connect(self.picker.open_file)
        view.retry.connect(self.context.feed.retry)

    def show_enroll(self, name: str = "") -> None:
        """Switch to Enroll & Train, with ``name`` chosen if given."""
        if name:
            self.enroll_tab.person.setCurrentText(name)
        self.tabs.setCurrentWidget(self.enroll_tab)

    def _notice(self, text: str) -> None:
        self.statusBar().showMessage(text, NOTICE_MS)

    def _show_camera(self) -> None:
        feed = self.context.feed
        if feed.live:
            self.camera_status.setText(f"● {feed.description} · {feed.fps():.1f} fps")
        else:
            self.camera_status.setText(f"○ {feed.description}: no picture")

    def _show_model(self) -> None:
        label = self.context.model_label()
        self.model_status.setText(f"Model {label}" if label else "No model yet")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        trainer = self.enroll_tab.trainer
        if trainer.running:
            answer = QMessageBox.question(
                self, "Training in progress",
                "A training is running. Quit anyway? Finished epochs are kept: training again with the same "
                "number of epochs continues from them.",
            )
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            trainer.cancel()
        self.verify_tab.live.setChecked(False)
        self._status_timer.stop()
        self.context.shutdown()
        Task.wait_all(EXIT_WAIT_S)
        super().closeEvent(event)
