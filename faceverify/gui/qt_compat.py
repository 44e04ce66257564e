"""PySide6 releases that lose references to ``None`` or ``True``: detected once at import, and worked around or refused.

PySide6 6.12.0 (on Python 3.10 and 3.11; from 3.12 both objects are immortal) returns ``None`` from every void C++
method and ``True`` from ``SignalInstance.emit()`` without taking a reference to them. The interpreter aborts
("none_dealloc", "bool_dealloc") once either count reaches zero: within a minute or two of a 30 fps camera view,
which makes about seven void calls per painted frame. pyproject.toml therefore requires a release without the bug
(``benchmarks/pyside_refleaks.py`` measured 6.8.3 to 6.11.3 clean). Where one is installed anyway, :func:`emit` gives
``True``'s reference back, and the app refuses to start (see :func:`leak_problem`): ``None`` is lost on every call
of thousands of methods, which no wrapper can cover.
"""
from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import partial

import PySide6
from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 50


class _Probe(QObject):
    fired = Signal()


_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def _loses(obj: object, call: Callable[[], object]) -> bool:
    """Whether ``call()`` loses a reference to ``obj`` each time; what the probe took is given back."""
    before = sys.getrefcount(obj)
    for _ in range(_PROBES):
        call()
    lost = before - sys.getrefcount(obj)
    for _ in range(max(lost, 0)):
        _incref(obj)
    return lost >= _PROBES * 0.8


_probe = _Probe()
_STEALS_TRUE = _loses(True, _probe.fired.emit)
_STEALS_NONE = _loses(None, partial(_probe.setObjectName, "probe"))  # any void method would do
del _probe


def leak_problem() -> str | None:
    """Why the window cannot run with the installed PySide6, in plain words; None when it can."""
    if not _STEALS_NONE:
        return None
    return (f"This copy of faceverify was installed with PySide6 {PySide6.__version__}, which has a fault that "
            f"closes the window within minutes on Python {sys.version_info.major}.{sys.version_info.minor}. "
            "Reinstall faceverify (it asks for a PySide6 release without the fault) and start it again.")


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, without PySide6 6.12.0's reference leak."""
    signal.emit(*args)
    if _STEALS_TRUE:
        _incref(True)
