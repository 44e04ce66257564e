"""Diagnostics through Python's ``logging``: the ``faceverify`` loggers write to ``HOME/logs/faceverify.log``.

The file is owner-only and rotated (1 MB, 3 old files kept). It holds messages and tracebacks, never face data: no
pixels, crops or embeddings are passed to a logger. Nothing is written into a home that does not exist yet, so a
failed first command leaves no folder behind. A program that embeds faceverify gets no log file unless it calls
:func:`log_to_home` (or configures ``logging`` itself).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from faceverify.files import atomic

LOGGER = "faceverify"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class HomeLogHandler(RotatingFileHandler):
    """A rotating, owner-only log file inside a home; records are dropped while the home does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
        self.home = Path(path).parent.parent
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and not self.home.is_dir():
            return
        super().emit(record)

    def _open(self):  # noqa: ANN202 (the stream type of logging.FileHandler)
        atomic.make_private_dir(Path(self.baseFilename).parent)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        return open(os.open(self.baseFilename, flags, 0o600), "a", encoding=self.encoding)  # noqa: SIM115

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """A log that cannot be written (disk full, home removed) must not disturb the user: the record is lost."""


def log_to_home(path: Path) -> None:
    """Send the ``faceverify`` loggers' INFO and above to the log file ``path`` (the only home log of the process)."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, HomeLogHandler)]:
        if handler.baseFilename == os.path.abspath(path):
            return
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.INFO)
    logger.addHandler(HomeLogHandler(path))


def log_uncaught() -> None:
    """Route exceptions nobody caught (the main thread's, Qt slots', worker threads') to the log, not to stderr."""
    logger = logging.getLogger(LOGGER)

    def on_main(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        logger.critical("Uncaught %s", kind.__name__, exc_info=(kind, error, trace))

    def on_thread(hook: threading.ExceptHookArgs) -> None:
        if hook.exc_type is not SystemExit:
            name = hook.thread.name if hook.thread else "?"
            logger.critical("Uncaught %s in thread %s", hook.exc_type.__name__, name,
                            exc_info=(hook.exc_type, hook.exc_value, hook.exc_traceback))

    sys.excepthook = on_main
    threading.excepthook = on_thread
