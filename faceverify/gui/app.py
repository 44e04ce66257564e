"""Start the desktop app: ``python main.py [--camera SOURCE] [--home DIR]`` or ``faceverify gui``."""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from faceverify.capture.camera import parse_source
from faceverify.errors import FaceverifyError
from faceverify.gui import style
from faceverify.gui.context import AppContext
from faceverify.gui.main_window import MainWindow
from faceverify.gui.qt_compat import leak_problem
from faceverify.home.diagnostics import log_to_home, log_uncaught
from faceverify.home.store import Store
from faceverify.model import shipped

ICON_FILE = "faceverify.png"  # also named by assets/faceverify.desktop


def icon_path() -> Path:
    """The app's icon: in assets/ beside the code in a checkout, else in the installed faceverify.assets."""
    checkout = Path(__file__).resolve().parents[2] / "assets" / ICON_FILE
    return checkout if checkout.is_file() else shipped.asset_dir() / ICON_FILE


def application() -> QApplication:
    """The QApplication, created if there is none yet, in faceverify's style."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if app.applicationName() != "faceverify":
        app.setApplicationName("faceverify")
        app.setDesktopFileName("faceverify")
        app.setWindowIcon(QIcon(str(icon_path())))
        style.apply(app)
    return app


def open_window(camera: str | None = None, home: Path | None = None) -> MainWindow:
    """Create and show the window over ``home`` (default: the usual data folder), reading ``camera``
    (a device index, video file, image pattern or URL; default: the one used last)."""
    application()
    store = Store(home)
    log_to_home(store.log_path)
    context = AppContext(store)
    window = MainWindow(context, parse_source(camera) if camera else context.saved_camera())
    window.show()
    return window


def run(camera: str | None = None, home: Path | None = None) -> int:
    """Open the window and run until it is closed; returns the exit status."""
    app = application()
    log_uncaught()  # an exception in a slot or a thread goes to the home's log; the window stays up
    problem = leak_problem()
    if problem:
        QMessageBox.critical(None, "faceverify", problem)
        return 1
    try:
        window = open_window(camera, home)
    except (FaceverifyError, OSError, sqlite3.Error) as error:  # a data folder or audit log it cannot use
        QMessageBox.critical(None, "faceverify", f"faceverify cannot start: {error}")
        return 1
    status = app.exec()
    del window  # referenced until here: the window lives as long as the event loop
    return status


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="faceverify gui", description="Open faceverify's window.")
    parser.add_argument("--camera", metavar="SOURCE",
                        help="device index (0), video file, image pattern (frames/%%04d.jpg) or stream URL; "
                             "default: the one used last")
    parser.add_argument("--home", metavar="DIR", type=Path,
                        help="data folder (default: $FACEVERIFY_HOME or the per-user data folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run(args.camera, args.home)
