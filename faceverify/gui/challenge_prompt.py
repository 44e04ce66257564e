"""The liveness challenge's prompt over the live view: what to do now, the seconds left, and Cancel."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from faceverify.liveness.challenge import ChallengeStatus

MARGIN = 16


class ChallengePrompt(QFrame):
    """A card at the top of ``view`` (the camera view), shown while a challenge runs; Cancel asks to stop it."""

    cancel_requested = Signal()

    def __init__(self, view: QWidget) -> None:
        super().__init__(view, objectName="overlay")
        self.instruction = QLabel(alignment=Qt.AlignCenter, wordWrap=True, textFormat=Qt.PlainText)
        self.instruction.setStyleSheet("font-size: 18pt; font-weight: 700;")
        self.countdown = QLabel(alignment=Qt.AlignCenter, textFormat=Qt.PlainText)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.addWidget(self.instruction)
        layout.addWidget(self.countdown)
        layout.addWidget(self.cancel_button, 0, Qt.AlignCenter)
        self.hide()

    def show_status(self, status: ChallengeStatus) -> None:
        """Show the challenge's current instruction and countdown (hidden once it is over)."""
        if status.done:
            self.hide()
            return
        self.instruction.setText(status.instruction)
        turn = f"turn {min(status.answered + 1, status.prompts)} of {status.prompts}"
        self.countdown.setText(f"{status.countdown()} · {turn}" if status.started else f"Getting ready · {turn}")
        view = self.parentWidget()
        self.setFixedWidth(max(min(view.width() - 2 * MARGIN, 520), 260))
        self.adjustSize()
        self.move((view.width() - self.width()) // 2, MARGIN)
        self.show()
        self.raise_()
