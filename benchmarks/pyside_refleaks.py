"""Does the installed PySide6 leak references to ``None`` or ``True``? Prints references lost per call.

Runs the calls the app makes 30 times a second (a signal's ``emit()``, and each call of the camera view's
``paintEvent``) ``N`` times each and reports how far ``sys.getrefcount(None)`` / ``sys.getrefcount(True)`` fell.
On Python 3.12+ both are immortal and the counts say nothing; run it on 3.10 or 3.11. Needs only PySide6 and numpy,
so it runs in a throwaway venv per PySide6 version::

    QT_QPA_PLATFORM=offscreen python benchmarks/pyside_refleaks.py [N]
"""
from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

import numpy as np
import PySide6
from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QWidget

PIXELS = np.zeros((240, 320, 3), np.uint8)


class Emitter(QObject):
    plain = Signal()
    with_args = Signal(int, str)


def paint_steps(widget: QWidget, painter: QPainter) -> dict[str, Callable[[], object]]:
    """Each call camera_view.py's paintEvent makes, one by one."""
    target = QRectF(10, 10, 320, 240)
    image = QImage(PIXELS.data, 320, 240, PIXELS.strides[0], QImage.Format_RGB888)
    return {
        "QPainter.fillRect": lambda: painter.fillRect(widget.rect(), QColor("#111827")),
        "QImage(buffer)": lambda: QImage(PIXELS.data, 320, 240, PIXELS.strides[0], QImage.Format_RGB888),
        "QImage.setDevicePixelRatio": lambda: image.setDevicePixelRatio(widget.devicePixelRatioF()),
        "QPainter.drawImage": lambda: painter.drawImage(target, image),
        "QPainter.setRenderHint": lambda: painter.setRenderHint(QPainter.Antialiasing),
        "QPainter.setPen": lambda: painter.setPen(QPen(QColor("#22c55e"), 3)),
        "QPainter.drawRoundedRect": lambda: painter.drawRoundedRect(QRectF(20, 20, 50, 50), 6, 6),
    }


class Probe(QWidget):
    """Runs one named paint step ``count`` times inside a real paintEvent (so the painter is active)."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(400, 300)
        self.step: str | None = None
        self.count = 0

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        if self.step == "whole paintEvent":
            for call in paint_steps(self, painter).values():
                call()
        elif self.step:
            call = paint_steps(self, painter)[self.step]
            for _ in range(self.count):
                call()
        painter.end()


def give_back(obj: object, references: int) -> None:
    """Restore references a leak took, so that the probe itself survives measuring it."""
    for _ in range(references):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def lost(action: Callable[[], object]) -> tuple[int, int]:
    """References to None and True lost while running ``action`` (given back afterwards)."""
    none, true = sys.getrefcount(None), sys.getrefcount(True)
    action()
    lost_none, lost_true = none - sys.getrefcount(None), true - sys.getrefcount(True)
    give_back(None, lost_none)
    give_back(True, lost_true)
    return lost_none, lost_true


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200  # True has a few thousand references: stay well below
    app = QApplication.instance() or QApplication(sys.argv[:1])
    probe, emitter = Probe(), Emitter()
    probe.show()
    app.processEvents()

    def paint(step: str, times: int) -> None:
        probe.step, probe.count = step, times
        probe.repaint()

    def repeat(call: Callable[[], object]) -> Callable[[], None]:
        return lambda: [call() for _ in range(count)]

    rows = {
        "Signal.emit()": repeat(emitter.plain.emit),
        "Signal.emit(int, str)": repeat(lambda: emitter.with_args.emit(1, "x")),
        "QWidget.update() (any void method)": repeat(probe.update),
        "QWidget.repaint (empty paintEvent)": repeat(lambda: paint("", 0)),
        "whole paintEvent (camera view's calls)": repeat(lambda: paint("whole paintEvent", 1)),
    }
    rows.update({step: (lambda s=step: paint(s, count)) for step in paint_steps(probe, QPainter())})
    lost(rows["whole paintEvent (camera view's calls)"])  # warm up: first-call caches are not leaks
    print(f"PySide6 {PySide6.__version__}, Python {sys.version.split()[0]}, {count} calls each")
    print(f"{'call':42} {'None lost/call':>15} {'True lost/call':>15}")
    for name, action in rows.items():
        none, true = lost(action)
        print(f"{name:42} {none / count:15.3f} {true / count:15.3f}")


if __name__ == "__main__":
    main()
