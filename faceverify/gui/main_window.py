"""The main window: camera chooser, the four tabs, and a status bar (camera and fps, model, data folder)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QTabWidget, QToolBar, QWidget

from faceverify.gui import dialogs, jobs
from faceverify.gui.camera_picker import CameraPicker
from faceverify.gui.camera_view import CameraView
from faceverify.gui.context import AppContext
from faceverify.gui.enroll_tab import EnrollTab
from faceverify.gui.log_view import LogView
from faceverify.gui.operator_lock import LockButton, OperatorLock, PasswordButton
from faceverify.gui.people_view import PeopleView
from faceverify.gui.verify_tab import VerifyTab
from faceverify.gui.workers import Task

STATUS_INTERVAL_MS = 1000
NOTICE_MS = 6000  # how long a notice stays in the status bar
EXIT_WAIT_S = 10  # at most this long, closing waits for running jobs (a training stops after its current step)


class MainWindow(QMainWindow):
    """faceverify's window over one AppContext."""

    def __init__(self, context: AppContext, camera: int | str) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle("faceverify")
        self._fit_screen()

        self.picker = CameraPicker(context)
        self.picker.notice.connect(self._notice)
        self.lock = OperatorLock(context, self)
        self.lock_button = LockButton(self.lock)
        self.password_button = PasswordButton(self.lock)
        toolbar = QToolBar("Camera", movable=False)
        self.picker_action = toolbar.addWidget(self.picker)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        toolbar.addWidget(spacer)
        self.password_action = toolbar.addWidget(self.password_button)
        toolbar.addWidget(self.lock_button)
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
        self.tabs.currentChanged.connect(self._on_tab)
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.close)
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
        context.model_changed.connect(self._load_model)
        self._load_model()

        self.lock.changed.connect(self._apply_lock)
        self._apply_lock()
        context.use_camera(camera)
        self.picker.find_devices()

    def _fit_screen(self) -> None:
        """Open at 1280x820, or smaller on a smaller screen (a 1366x768 laptop keeps its panel and title bar)."""
        screen = self.screen().availableGeometry()
        self.resize(min(1280, screen.width()), min(820, screen.height() - 40))

    def _load_model(self) -> None:
        """Load the model in the background, so that the first Verify is as quick as the next."""
        if self.context.has_model():
            task = Task(jobs.load_model, self.context)
            task.succeeded.connect(self._show_model)
            task.failed.connect(self._model_failed)
            task.start()

    def _apply_lock(self) -> None:
        """Locked: only the Verify tab, without its operator controls, and no camera chooser."""
        unlocked = self.lock.unlocked
        for widget in (self.enroll_tab, self.people_view, self.log_view):
            self.tabs.setTabVisible(self.tabs.indexOf(widget), unlocked)
        self.picker_action.setVisible(unlocked)
        self.password_action.setVisible(unlocked and self.lock.has_password())
        self.verify_tab.set_operator(unlocked)
        for view in (self.verify_tab.view, self.enroll_tab.view):
            view.set_choosing(unlocked)
        if not unlocked:
            self.tabs.setCurrentWidget(self.verify_tab)

    def _on_tab(self) -> None:
        if self.tabs.currentWidget() is self.enroll_tab:
            self.enroll_tab.person.setFocus()

    def _connect_view(self, view: CameraView) -> None:
        view.choose_camera.connect(self.picker.choose)
        view.open_file.connect(self.picker.open_file)
        view.retry.connect(self.context.feed.retry)

    def show_enroll(self, name: str = "") -> None:
        """Switch to Enroll & Train, with ``name`` chosen if given (asking for the operator's password if locked)."""
        if not self.lock.unlocked and not self.lock_button.ask_unlock():
            return
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
        loading = "" if self.context.verifier_loaded else " (loading…)"
        self.model_status.setText(f"Model {label}{loading}" if label else "No model yet")

    def _model_failed(self, message: str) -> None:
        self.model_status.setText(f"Model {self.context.model_label()}: cannot be used ({message})")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        trainer = self.enroll_tab.trainer
        if trainer.running:
            if not dialogs.confirm(self, "Training in progress", "A training is running. Quit anyway? Its finished "
                                   "epochs are saved: Resume in Enroll & Train continues from them.", "Quit"):
                event.ignore()
                return
            trainer.cancel()
        self.verify_tab.live.setChecked(False)
        self._status_timer.stop()
        self.context.shutdown()
        Task.wait_all(EXIT_WAIT_S)
        super().closeEvent(event)
