"""The thresholds that gate verification (an operator control): two sliders, saved; the model's own on demand."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGroupBox, QPushButton, QVBoxLayout, QWidget

from faceverify.gui.context import AppContext
from faceverify.gui.widgets import ThresholdSlider, label

SAVE_DELAY_MS = 400  # thresholds are saved this long after the slider stops moving

DETECTION_TIP = "A comparison counts as positive when its score is above this"
VERIFICATION_TIP = "VERIFIED when the share of positive comparisons is above this"
MODEL_THRESHOLDS_TIP = "Go back to the thresholds calibrated for this model when it was trained"


class ThresholdBox(QGroupBox):
    """Detection and verification thresholds; after a training, the new model's calibrated ones are shown."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Thresholds", parent)
        self.context = context
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save)
        self.detection = ThresholdSlider("Detection", DETECTION_TIP, context.threshold("detection_threshold"))
        self.verification = ThresholdSlider("Verification", VERIFICATION_TIP,
                                            context.threshold("verification_threshold"))
        self.model_thresholds = QPushButton("Use the model's thresholds", toolTip=MODEL_THRESHOLDS_TIP)
        self.model_thresholds.clicked.connect(self._use_model_thresholds)
        layout = QVBoxLayout(self)
        for slider in (self.detection, self.verification):
            slider.changed.connect(self._save_timer.start)
            layout.addWidget(slider)
        layout.addWidget(label("Higher thresholds reject more: fewer false accepts, more false rejects.", "hint"))
        layout.addWidget(self.model_thresholds, 0, Qt.AlignLeft)
        context.model_changed.connect(self._show)

    def _show(self) -> None:
        """Show the thresholds in force: after a training, the new model's calibrated ones."""
        self._save_timer.stop()
        self.detection.set_value(self.context.threshold("detection_threshold"))
        self.verification.set_value(self.context.threshold("verification_threshold"))

    def _use_model_thresholds(self) -> None:
        self.context.store.save_settings(detection_threshold=None, verification_threshold=None)
        self._show()

    def _save(self) -> None:
        self.context.store.save_settings(detection_threshold=self.detection.value(),
                                         verification_threshold=self.verification.value())
