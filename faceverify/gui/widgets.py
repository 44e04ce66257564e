"""Small widgets more than one tab uses: labels with a style role, the threshold slider, the first-run guide."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from faceverify.gui import style
from faceverify.gui.context import AppContext
from faceverify.gui.qt_compat import emit
from faceverify.training.readiness import steps_done

SIDE_WIDTH = 420  # the column of controls beside a camera view


def view_with_side_panel(owner: QWidget, main: QWidget | QLayout, boxes: list[QWidget]) -> None:
    """Lay ``owner`` out as the tabs do: ``main`` (the camera) on the left, a fixed column of ``boxes`` beside it
    (scrolling where the window is too low for it)."""
    panel = QVBoxLayout()
    panel.setSpacing(12)
    for box in boxes:
        panel.addWidget(box)
    panel.addStretch(1)
    side = QWidget(objectName="side")
    side.setFixedWidth(SIDE_WIDTH)
    side.setLayout(panel)
    scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame)  # a small screen scrolls, never clips
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    scroll.setWidget(side)
    scroll.setFixedWidth(SIDE_WIDTH + scroll.verticalScrollBar().sizeHint().width())
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(16, 16, 16, 16)
    layout.setSpacing(16)
    if isinstance(main, QLayout):
        layout.addLayout(main, 1)
    else:
        layout.addWidget(main, 1)
    layout.addWidget(scroll)


def label(text: str = "", role: str | None = None, wrap: bool = True) -> QLabel:
    """A QLabel with a stylesheet role: "hint", "error", "ok" or "heading"."""
    widget = QLabel(text, wordWrap=wrap)
    if role:
        widget.setProperty("role", role)
    return widget


def show_message(widget: QLabel, text: str, role: str = "hint", rich: bool = False) -> None:
    """Put a message in a label, coloured by role; ``rich`` text is HTML, other text is shown as it is."""
    widget.setTextFormat(Qt.RichText if rich else Qt.PlainText)
    widget.setText(text)
    style.set_property(widget, "role", role)


def progress_bar(maximum: int = 100) -> QProgressBar:
    """A slim bar without text (the figures go in a label next to it)."""
    return QProgressBar(minimum=0, maximum=maximum, value=0, textVisible=False)


def primary_button(text: str, big: bool = False) -> QPushButton:
    button = QPushButton(text, default=True)
    button.setProperty("primary", "true")
    if big:
        button.setProperty("big", "true")
    return button


class ThresholdSlider(QWidget):
    """A 0 to 1 slider in steps of 0.001, with its name and value (a model calibrated with hard negatives can put its
    detection threshold as low as 0.016, where steps of 0.01 would be far too coarse)."""

    STEPS = 1000
    changed = Signal(float)

    def __init__(self, title: str, tip: str, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Horizontal, minimum=0, maximum=self.STEPS, singleStep=1, pageStep=25, toolTip=tip)
        self._value = value  # exact: a calibrated 0.2525 stays 0.2525 (decided and shown as the CLI does)
        self.slider.setValue(round(value * self.STEPS))
        self.value_label = QLabel(minimumWidth=44, alignment=Qt.AlignRight | Qt.AlignVCenter)
        self._show_value()
        self.slider.valueChanged.connect(self._on_change)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        name = QLabel(title, toolTip=tip, minimumWidth=90)
        layout.addWidget(name)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)

    def value(self) -> float:
        """The threshold: as set (the one in force, to the last digit), or where the user moved the slider."""
        return self._value

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting ``changed`` (it was not the user's choice)."""
        self._value = value
        blocked = self.slider.blockSignals(True)
        self.slider.setValue(round(value * self.STEPS))
        self.slider.blockSignals(blocked)
        self._show_value()

    def _on_change(self, raw: int) -> None:
        self._value = raw / self.STEPS
        self._show_value()
        emit(self.changed, self._value)

    def _show_value(self) -> None:
        self.value_label.setText(f"{self.value():.3f}")


class GettingStarted(QFrame):
    """The steps to a first verification, ticked off as they are done: two with the shipped generic model
    (enroll, verify), three without it (enroll, import negatives, train)."""

    go = Signal()
    ENROLL = ("Enroll a person",
              "Capture anchor and positive images from the camera (keys A and P), or import a folder.")
    ONE_SHOT = (
        ENROLL,
        ("Verify", "Pick them here and click Verify: the model that comes with faceverify works at once, at the "
                   "security level chosen below. Training on Enroll & Train is optional: its model is used only "
                   "if it beats this one on images it did not train on."),
    )
    TRAIN_FIRST = (
        ENROLL,
        ("Import negatives",
         "Faces of other people from LFW (lfw.tgz or its folder), so the model learns who is not them."),
        ("Train the model", "One click; a few minutes on a CPU. Verification uses the new model at once (when "
                            "there was none before it)."),
    )

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="card")
        self.context = context
        self.steps = self.ONE_SHOT if context.has_shipped_model() else self.TRAIN_FIRST
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(12)
        count = "two" if len(self.steps) == 2 else "three"
        layout.addWidget(label(f"Get started in {count} steps", "heading"))
        layout.addWidget(label("Nothing can be verified until a person is enrolled"
                               + ("." if len(self.steps) == 2 else " and a model is trained."), "hint"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        self.marks: list[QLabel] = []
        for row, (title, text) in enumerate(self.steps):
            mark = QLabel(alignment=Qt.AlignCenter)
            mark.setFixedSize(28, 28)
            self.marks.append(mark)
            grid.addWidget(mark, row, 0, Qt.AlignTop)
            step = label(f"<b>{title}</b><br><span style='color:{style.MUTED}'>{text}</span>")
            grid.addWidget(step, row, 1)
        layout.addLayout(grid)
        button = primary_button("Open Enroll && Train")
        button.clicked.connect(self.go)
        layout.addWidget(button, 0, Qt.AlignLeft)
        self.refresh()

    def steps_done(self) -> tuple[bool, ...]:
        enrolled, negatives, _ = steps_done(self.context.store)
        if len(self.steps) == 2:
            return enrolled, False  # the guide gives way to Verify once someone is enrolled
        return enrolled, negatives, self.context.has_model()

    def refresh(self) -> None:
        for number, (mark, done) in enumerate(zip(self.marks, self.steps_done(), strict=True), start=1):
            mark.setText("✓" if done else str(number))
            colour, text = (style.SUCCESS, "white") if done else ("#e5e7eb", style.TEXT)
            mark.setStyleSheet(f"background:{colour}; color:{text}; border-radius:14px; font-weight:700;")
