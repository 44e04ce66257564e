"""Save a PNG of each tab: ``python -m faceverify.gui.screenshots OUTDIR [--camera SOURCE] [--home DIR]
[--person NAME] [--verify]``.

With ``--verify`` the Verify tab is shot after a verification of ``--person`` (which needs a trained model).
Runs without a display when QT_QPA_PLATFORM=offscreen.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

from .app import open_window
from .main_window import MainWindow

SETTLE_S = 0.5  # events processed after switching tabs, so that the view shows fresh frames


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop until ``condition()`` holds (checked every 10 ms) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()
    return True


def shoot(window: MainWindow, folder: Path) -> list[Path]:
    """Save every tab of ``window`` as ``folder/<n>-<tab>.png``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        wait_until(lambda: False, SETTLE_S)
        slug = window.tabs.tabText(index).replace("&&", "and").replace(" ", "-").lower()
        path = folder / f"{index + 1}-{slug}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        saved.append(path)
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faceverify.gui.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--camera", metavar="SOURCE")
    parser.add_argument("--home", type=Path, metavar="DIR")
    parser.add_argument("--person", help="the person chosen in the Verify and Enroll tabs")
    parser.add_argument("--verify", action="store_true", help="verify --person before the shots")
    args = parser.parse_args(argv)

    window = open_window(args.camera, args.home)
    wait_until(lambda: window.verify_tab.view.frames_shown >= 10, 15)
    if args.person:
        window.verify_tab.person.setCurrentText(args.person)
        window.enroll_tab.person.setCurrentText(args.person)
    if args.verify:
        window.verify_tab.verify()
        wait_until(lambda: window.verify_tab.verify_button.isEnabled(), 120)
    for path in shoot(window, args.outdir):
        print(path)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
