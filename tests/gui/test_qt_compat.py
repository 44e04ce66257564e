"""Emitting from Python must not leak references (PySide6 6.12.0's emit() steals one from True each time)."""
import sys

from PySide6.QtCore import QObject, Signal

from faceverify.gui.qt_compat import emit


class _Sender(QObject):
    fired = Signal(object)


def test_many_emits_keep_true_alive():
    sender, received = _Sender(), []
    sender.fired.connect(received.append)
    before = sys.getrefcount(True)
    for number in range(5000):
        emit(sender.fired, number)
    assert len(received) == 5000
    assert abs(sys.getrefcount(True) - before) < 50
