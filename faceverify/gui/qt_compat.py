"""Emitting signals from Python, safely across PySide6 versions.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without taking a reference to it, so every emit made
from Python lowers ``True``'s reference count by one until the interpreter aborts ("bool_dealloc"): within
minutes for a camera view that emits 30 times a second. :func:`emit` gives the reference back where the installed
PySide6 has that bug (detected once, at import), and is a plain emit elsewhere.
"""
from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 50


class _Probe(QObject):
    fired = Signal()


def _emit_steals_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.fired.emit()
    return before - sys.getrefcount(True) >= _PROBES * 0.8


_STEALS_TRUE = _emit_steals_true()
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
if _STEALS_TRUE:
    for _ in range(_PROBES):  # give back what the probe took
        _incref(True)


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, without PySide6 6.12.0's reference leak."""
    signal.emit(*args)
    if _STEALS_TRUE:
        _incref(True)
