"""The Verify tab: live view, person, Verify (a burst of frames), the result until the next action, live mode with a
score meter, thresholds and the liveness check."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from faceverify.gui import jobs, style
from faceverify.gui.camera_view import CameraView
from faceverify.gui.challenge_prompt import ChallengePrompt
from faceverify.gui.context import AppContext
from faceverify.gui.liveness_box import LivenessBox
from faceverify.gui.qt_compat import emit
from faceverify.gui.threshold_box import ThresholdBox
from faceverify.gui.widgets import GettingStarted, label, primary_button, progress_bar, view_with_side_panel
from faceverify.gui.workers import Task
from faceverify.model.current import calibrated_thresholds
from faceverify.training.readiness import model_warning
from faceverify.verification.verdicts import VerdictLog

LIVE_INTERVAL_MS = 150  # pause between two live scores, leaving the CPU to the camera
IDLE_TEXT = "Choose a person and press Verify (Enter)"


class VerifyTab(QWidget):
    """Verifies the chosen person against the camera; every result is written to the audit log."""

    go_enroll = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view = CameraView(context.feed)
        self.prompt = ChallengePrompt(self.view)  # the liveness challenge's prompts, over the live view
        self.prompt.cancel_requested.connect(self._cancel_verify)
        self._verify_task: Task | None = None
        self.guide = GettingStarted(context)
        self.guide.go.connect(self.go_enroll)
        self._live_busy = False
        self.live_scores = 0  # live results shown so far
        self._verdicts = VerdictLog()  # live mode's: one log row per change of decision
        self._source = context.feed.source
        context.feed.state_changed.connect(self._on_camera_state)

        self.thresholds = ThresholdBox(context)
        self.detection, self.verification = self.thresholds.detection, self.thresholds.verification
        self.model_thresholds = self.thresholds.model_thresholds
        self.liveness = LivenessBox(context)
        self.model_warning = label(role="error")
        view_with_side_panel(self, self.view, [self.guide, self.model_warning, self._make_verify_box(),
                                               self._make_result_box(), self.thresholds, self.liveness])

        for signal in (context.people_changed, context.model_changed, context.negatives_changed):
            signal.connect(self.refresh)
        self.refresh()

    # -- building ---------------------------------------------------------------------------------------
    def _make_verify_box(self) -> QGroupBox:
        self.verify_box = QGroupBox("Verify")
        self.person = QComboBox(toolTip="The person to verify")
        self.person.currentTextChanged.connect(self._on_person_changed)
        self.verify_button = primary_button("Verify  (Enter)", big=True)
        self.verify_button.setToolTip(f"Compare the next {jobs.BURST_FRAMES} frames with the person's images")
        self.verify_button.clicked.connect(self.verify)
        for key in (Qt.Key_Return, Qt.Key_Enter):
            QShortcut(QKeySequence(key), self, activated=self.verify_button.animateClick,
                      context=Qt.WidgetWithChildrenShortcut)
        self.live = QCheckBox("Live mode: score continuously")
        self.live.toggled.connect(self._on_live_toggled)
        self.meter = progress_bar()
        self.meter_label = label(role="hint")
        for widget in (self.meter, self.meter_label):
            widget.hide()
        form = QFormLayout(self.verify_box)
        form.setSpacing(10)
        form.addRow("Person", self.person)
        form.addRow(self.verify_button)
        form.addRow(self.live)
        form.addRow(self.meter_label)
        form.addRow(self.meter)
        return self.verify_box

    def _make_result_box(self) -> QGroupBox:
        self.result_box = QGroupBox("Result")
        self.banner = QLabel(objectName="banner", alignment=Qt.AlignCenter, wordWrap=True, minimumHeight=96)
        self.details = {key: QLabel(wordWrap=True, textInteractionFlags=Qt.TextSelectableByMouse) for key in
                        ("Positive comparisons", "Mean score", "Thresholds", "Faces found", "Time", "Model")}
        form = QFormLayout()
        form.setSpacing(6)
        for key, value in self.details.items():
            form.addRow(label(key, "hint", wrap=False), value)
        layout = QVBoxLayout(self.result_box)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        self._show_banner("idle", IDLE_TEXT)
        return self.result_box

    # -- state ----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read people and readiness; show the first-run guide until there is someone to verify and a model."""
        current = self.person.currentText()
        names = [p.name for p in self.context.store.people() if p.positives]
        blocked = self.person.blockSignals(True)  # the same person chosen again is no change
        self.person.clear()
        self.person.addItems(names)
        if current in names:
            self.person.setCurrentText(current)
        self.person.blockSignals(blocked)
        if self.person.currentText() != current:
            self._on_person_changed()
        self.guide.refresh()
        ready = bool(names) and self.context.has_model()
        self.guide.setVisible(not ready)
        for widget in (self.verify_box, self.result_box):
            widget.setVisible(ready)
        warning = model_warning(calibrated_thresholds(self.context.store)) if ready else None
        self.model_warning.setText(warning or "")
        self.model_warning.setVisible(warning is not None)
        if not ready:
            self.live.setChecked(False)

    def set_operator(self, unlocked: bool) -> None:
        """The end user sees the camera, the person, Verify and the result; thresholds, live mode and the liveness
        check are the operator's."""
        if not unlocked:
            self.live.setChecked(False)
        self.liveness.refresh()
        for widget in (self.thresholds, self.live, self.liveness):
            widget.setVisible(unlocked)

    def _show_banner(self, state: str, text: str, rich: bool = False) -> None:
        self.banner.setTextFormat(Qt.RichText if rich else Qt.PlainText)
        self.banner.setText(text)
        style.set_property(self.banner, "state", state)

    # -- a result stays until the next action --------------------------------------------------------------------
    def clear_result(self) -> None:
        """Back to idle: another person, camera or mode, so the result shown no longer applies."""
        if self.banner.property("state") in ("yes", "no", "error"):
            self._show_banner("idle", "Live mode is on: see the meter" if self.live.isChecked() else IDLE_TEXT)
            for value in self.details.values():
                value.clear()

    def _on_camera_state(self) -> None:
        """Another camera: what was verified on the old one no longer holds (a camera that stalls is no action)."""
        if self.context.feed.source != self._source:
            self._source = self.context.feed.source
            self.clear_result()

    # -- verify ------------------------------------------------------------------------------------------------
    def verify(self) -> None:
        name = self.person.currentText()
        if not name:
            self._show_banner("error", "Choose a person to verify")
            return
        self.verify_button.setEnabled(False)
        loading = "" if self.context.verifier_loaded else "<br><small>Loading the model first…</small>"
        self._show_banner("busy", f"Verifying {html.escape(name)}…{loading}", rich=True)
        task = Task(jobs.verify_burst, self.context, name, self.thresholds.detection_threshold(),
                    self.verification.value())
        task.progressed.connect(self.prompt.show_status)
        task.succeeded.connect(self._show_outcome)
        task.failed.connect(self._show_error)
        task.finished.connect(self._verify_done)
        self._verify_task = task.start()

    def _cancel_verify(self) -> None:
        if self._verify_task is not None:
            self._verify_task.cancel()

    def _verify_done(self) -> None:
        self._verify_task = None
        self.prompt.hide()
        self.verify_button.setEnabled(not self.live.isChecked())

    def _show_outcome(self, outcome: jobs.VerifyOutcome) -> None:
        decision = outcome.decision
        if decision is None:  # the liveness check failed: nothing was scored
            for value in self.details.values():
                value.clear()
            self._show_banner("no", f"NOT VERIFIED<div style='font-size:12pt; font-weight:600'>"
                                    f"{html.escape(outcome.liveness.reason)}</div>", rich=True)
            emit(self.context.audit_changed)
            return
        verdict = "VERIFIED" if decision.verified else "NOT VERIFIED"
        self._show_banner("yes" if decision.verified else "no",
                          f"{verdict}<div style='font-size:12pt; font-weight:600'>{html.escape(decision.person)}</div>",
                          rich=True)
        positive = round(decision.share * decision.comparisons)
        values = {
            "Positive comparisons": f"{decision.share:.0%}  ({positive} of {decision.comparisons})",
            "Mean score": f"{decision.mean_score:.3f}",
            "Thresholds": f"{decision.level} level: detection {decision.detection_threshold:.3f}, "
                          f"verification {decision.verification_threshold:.2f}",
            "Faces found": f"{outcome.faces_found} of {outcome.frames} frames",
            "Time": f"{outcome.seconds:.2f} s",
            "Model": self.context.model_label() or "",
        }
        for key, value in values.items():
            self.details[key].setText(value)
        emit(self.context.audit_changed)

    def _show_error(self, message: str) -> None:
        self._show_banner("error", message)
        for value in self.details.values():
            value.clear()

    # -- live mode ------------------------------------------------------------------------------------------------
    def _on_live_toggled(self, on: bool) -> None:
        """Live mode verifies continuously: the meter takes the banner's place, and Verify waits until it is off."""
        for widget in (self.meter, self.meter_label):
            widget.setVisible(on)
        self.verify_button.setEnabled(not on)
        self.clear_result()
        self._show_banner("idle", "Live mode is on: see the meter" if on else IDLE_TEXT)
        self._verdicts = VerdictLog()
        self._show_meter(0, "Waiting for a face…", "")
        if on:
            self._live_next()

    def _on_person_changed(self) -> None:
        self._verdicts = VerdictLog()  # the next live verdict is about someone else: log it
        self.clear_result()

    def _live_next(self) -> None:
        """Score the newest frame; frames that arrive meanwhile are dropped, never queued."""
        name = self.person.currentText()
        if not self.live.isChecked() or self._live_busy or not name:
            return
        self._live_busy = True
        task = Task(jobs.score_live, self.context, name, self.thresholds.detection_threshold(),
                    self.verification.value(), self._verdicts)
        task.succeeded.connect(self._show_live)
        task.failed.connect(self._live_failed)
        task.finished.connect(self._live_done)
        task.start()

    def _live_done(self) -> None:
        self._live_busy = False
        QTimer.singleShot(LIVE_INTERVAL_MS, self._live_next)

    def _show_live(self, outcome: jobs.VerifyOutcome | None) -> None:
        self.live_scores += 1
        if outcome is None:
            self._show_meter(0, "No face in view", "")
            return
        decision = outcome.decision
        if outcome.logged:
            emit(self.context.audit_changed)
        verified = decision.verified if self._verdicts.logged is None else self._verdicts.logged  # as logged
        verdict = "VERIFIED" if verified else "NOT VERIFIED"
        self._show_meter(decision.share, f"<b>{verdict}</b> · {decision.share:.0%} of comparisons positive · "
                                         f"mean score {decision.mean_score:.3f}", "yes" if verified else "no")

    def _show_meter(self, share: float, text: str, verdict: str) -> None:
        """The meter shows the share of comparisons passing the detection threshold: what the verification
        threshold is compared with, on the same 0 to 1 scale whatever the model's calibration."""
        self.meter.setValue(round(share * 100))
        self.meter_label.setText(text)
        style.set_property(self.meter, "verdict", verdict)
        style.set_property(self.meter_label, "role", {"yes": "ok", "no": "error"}.get(verdict, "hint"))

    def _live_failed(self, message: str) -> None:
        self.live.setChecked(False)
        self._show_banner("error", message)
