"""Whether this install can train: deciding needs only LiteRT, training (and exporting a ``.keras`` model) needs
TensorFlow, which the ``train`` extra brings. Asked without importing TensorFlow."""
from __future__ import annotations

from importlib.util import find_spec

from faceverify.errors import FaceverifyError

INSTALL = "pip install 'faceverify[train]'"
MESSAGE = f"Training needs TensorFlow, which is not installed: {INSTALL}"


class TrainingUnavailable(FaceverifyError):
    """TensorFlow is not installed: faceverify decides without it, but cannot train."""


def can_train() -> bool:
    """Whether TensorFlow is installed (found on the path; not imported)."""
    try:
        return find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules (None) or a module without a spec
        return False


def require_training() -> None:
    """Raise :class:`TrainingUnavailable` (one line saying what to install) where TensorFlow is missing."""
    if not can_train():
        raise TrainingUnavailable(MESSAGE)
