"""The security level that gates verification (an operator control), and under *Advanced* the raw thresholds.

The operator chooses a level in plain words ("Standard: about 1 stranger in 100 accepted"); each person's detection
threshold is then set for it (see :mod:`verification.levels`). Experts open *Advanced* for the two sliders: moving one
switches the level to *Custom*, whose thresholds are the sliders'. Both are saved.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QGroupBox, QPushButton, QVBoxLayout, QWidget

from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.gui.widgets import ThresholdSlider, label
from faceverify.verification.levels import LEVELS, Level, chosen_level, level_named
from faceverify.verification.rule import CUSTOM_LEVEL

SAVE_DELAY_MS = 400  # thresholds are saved this long after the slider stops moving

LEVEL_TIP = "How often a stranger may be accepted; each person's threshold is set so that unseen faces pass this rarely"
DETECTION_TIP = "A comparison counts as positive when its score is above this"
VERIFICATION_TIP = "VERIFIED when the share of positive comparisons is above this"
MODEL_THRESHOLDS_TIP = "Go back to the thresholds calibrated for this model when it was trained"
CUSTOM_WORDS = "Custom: the thresholds under Advanced"


class ThresholdBox(QGroupBox):
    """The security level, and the detection and verification thresholds under *Advanced*."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Security", parent)
        self.context = context
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save)
        self.level = QComboBox(toolTip=LEVEL_TIP)
        for level in LEVELS.values():
            self.level.addItem(level.describe(), level.name)
        self.level.addItem(CUSTOM_WORDS, CUSTOM_LEVEL)
        self.level.setCurrentIndex(self.level.findData(chosen_level(context.store.load_settings())))
        self.level.currentIndexChanged.connect(self._level_chosen)
        self.advanced = QPushButton("Advanced", checkable=True, toolTip="The raw thresholds, for experts")
        self.detection = ThresholdSlider("Detection", DETECTION_TIP, context.threshold("detection_threshold"))
        self.verification = ThresholdSlider("Verification", VERIFICATION_TIP,
                                            context.threshold("verification_threshold"))
        self.model_thresholds = QPushButton("Use the model's thresholds", toolTip=MODEL_THRESHOLDS_TIP)
        self.model_thresholds.clicked.connect(self._use_model_thresholds)
        self.expert = QWidget(visible=False)
        expert = QVBoxLayout(self.expert)
        expert.setContentsMargins(0, 0, 0, 0)
        for slider in (self.detection, self.verification):
            slider.changed.connect(self._slider_moved)
            expert.addWidget(slider)
        expert.addWidget(label("Higher thresholds reject more: fewer false accepts, more false rejects. At a named "
                               "level the detection threshold is each person's own.", "hint"))
        expert.addWidget(self.model_thresholds, 0, Qt.AlignLeft)
        self.advanced.toggled.connect(self.expert.setVisible)
        layout = QVBoxLayout(self)
        layout.addWidget(self.level)
        layout.addWidget(self.advanced, 0, Qt.AlignLeft)
        layout.addWidget(self.expert)
        context.model_changed.connect(self._show)

    def chosen(self) -> str:
        return self.level.currentData()

    def detection_threshold(self) -> float | Level:
        """What a decision uses: the chosen level (each person's threshold), or the slider at Custom."""
        return level_named(self.chosen()) or self.detection.value()

    def _level_chosen(self) -> None:
        self.context.store.save_settings(security_level=self.chosen())
        emit(self.context.level_changed)

    def _slider_moved(self) -> None:
        self.level.setCurrentIndex(self.level.findData(CUSTOM_LEVEL))  # saved by _level_chosen
        self._save_timer.start()

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
