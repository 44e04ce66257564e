"""The liveness check's switch and settings (an operator control): head turns asked for, and the time for each;
saved in the settings as ``faceverify liveness`` saves them, and read by the next Verify."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox, QWidget

from faceverify.gui.context import AppContext
from faceverify.gui.widgets import label
from faceverify.liveness.live_challenge import PROMPT_RANGE, SECONDS_RANGE, LivenessSettings

ON_TIP = "Before Verify, ask for random head turns: a photo or a still picture held up to the camera cannot answer"
OFF_WARNING = "Off: a photo of an enrolled person held up to the camera can be verified."


class LivenessBox(QGroupBox):
    """On or off, how many head turns, how long for each; every change is saved at once."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Liveness check", parent)
        self.context = context
        self.enabled = QCheckBox("Ask for head turns before Verify", toolTip=ON_TIP)
        self.prompts = QSpinBox(minimum=PROMPT_RANGE[0], maximum=PROMPT_RANGE[1], toolTip="Head turns asked for")
        self.seconds = QDoubleSpinBox(minimum=SECONDS_RANGE[0], maximum=SECONDS_RANGE[1], decimals=0, suffix=" s",
                                      toolTip="Time allowed for each head turn")
        self.warning = label(OFF_WARNING, "error")
        form = QFormLayout(self)
        form.addRow(self.enabled)
        form.addRow("Head turns", self.prompts)
        form.addRow("Time for each", self.seconds)
        form.addRow(self.warning)
        self.refresh()
        self.enabled.toggled.connect(self._save)
        self.prompts.valueChanged.connect(self._save)
        self.seconds.valueChanged.connect(self._save)

    def settings(self) -> LivenessSettings:
        return LivenessSettings(self.enabled.isChecked(), self.prompts.value(), self.seconds.value())

    def refresh(self) -> None:
        """Show the saved settings (the CLI may have changed them), without saving them again."""
        saved = LivenessSettings.from_settings(self.context.store.load_settings())
        widgets = (self.enabled, self.prompts, self.seconds)
        blocked = [widget.blockSignals(True) for widget in widgets]
        self.enabled.setChecked(saved.enabled)
        self.prompts.setValue(saved.prompts)
        self.seconds.setValue(saved.seconds)
        for widget, was in zip(widgets, blocked):
            widget.blockSignals(was)
        self._show(saved.enabled)

    def _show(self, enabled: bool) -> None:
        self.prompts.setEnabled(enabled)
        self.seconds.setEnabled(enabled)
        self.warning.setVisible(not enabled)

    def _save(self) -> None:
        settings = self.settings()
        self.context.store.save_settings(**settings.to_settings())
        self._show(settings.enabled)
