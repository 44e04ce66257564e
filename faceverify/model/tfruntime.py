"""TensorFlow, imported once without its start-up chatter on stderr; only training, fine-tuning and exporting a
``.keras`` model need it (deciding uses :mod:`runtime`). Where it is not installed, importing this module raises
:class:`~faceverify.model.trainability.TrainingUnavailable`: one line that says what to install."""
from __future__ import annotations

from faceverify.model.quiet import filtered_stderr
from faceverify.model.trainability import require_training

require_training()
with filtered_stderr():
    import tensorflow as tf

    tf.config.list_logical_devices()

__all__ = ["tf"]
