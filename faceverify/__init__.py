"""faceverify: real-time webcam face verification with a Siamese network."""
import logging
import os

# TensorFlow's C++ start-up chatter would bury the one-line messages users need; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"

# Diagnostics go to the home's log file (home/diagnostics.py) in the app and the CLI; a program that embeds
# faceverify sees them only if it configures logging itself.
logging.getLogger("faceverify").addHandler(logging.NullHandler())


def open(home=None):  # noqa: A001 (faceverify.open, like io.open: the module's entry point)
    """The faceverify home at ``home`` (default: $FACEVERIFY_HOME or the per-user data folder) as a
    :class:`faceverify.api.Faceverify`; nothing heavy is imported until it is used."""
    from faceverify.api import Faceverify

    return Faceverify(home)
