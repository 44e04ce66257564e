"""Save a PNG of each tab: ``python -m faceverify.gui.screenshots OUTDIR [--camera SOURCE] [--home DIR]
[--person NAME] [--verify] [--train EPOCHS] [--locked PASSWORD]``.

With ``--verify`` the Verify tab is shot after a verification of ``--person`` (which needs a trained model); with
``--train`` after a training in the window (the Enroll & Train tab shows its judgement of the new model); with
``--locked`` the end user's view is shot too, locked with PASSWORD (set as the operator's if there is none yet),
and the unlocked operator's password dialog; with ``--person`` the question before removing them (nobody is removed).
The Verify tab is shot again scrolled to the operator's controls below the result (thresholds, the liveness check).
Runs without a display when QT_QPA_PLATFORM=offscreen.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QScrollArea, QWidget

from faceverify.gui import dialogs
from faceverify.gui.app import open_window
from faceverify.gui.main_window import MainWindow
from faceverify.gui.operator_lock import PasswordDialog
from faceverify.gui.people_view import removal_question

SIZE = (1280, 800)  # logical pixels, whatever the screen
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


def save(window: QWidget, path: Path) -> Path:
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path


def shoot(window: MainWindow, folder: Path) -> list[Path]:
    """Save every tab of ``window`` as ``folder/<n>-<tab>.png``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        wait_until(lambda: False, SETTLE_S)
        slug = window.tabs.tabText(index).replace("&&", "and").replace(" ", "-").lower()
        saved.append(save(window, folder / f"{index + 1}-{slug}.png"))
    return saved


def save_dialog(window: MainWindow, dialog: QWidget, path: Path) -> Path:
    """Show ``dialog`` over the window long enough to paint it, save it, close it."""
    dialog.show()
    wait_until(lambda: False, SETTLE_S)
    try:
        return save(dialog, path)
    finally:
        dialog.close()


def train(window: MainWindow, epochs: int) -> None:
    """Train in the window, as an operator would, and wait for the end."""
    window.show_enroll()
    trainer = window.enroll_tab.trainer
    trainer.epochs.setValue(epochs)
    trainer.train()
    wait_until(lambda: not trainer.running, 3600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faceverify.gui.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--camera", metavar="SOURCE")
    parser.add_argument("--home", type=Path, metavar="DIR")
    parser.add_argument("--person", help="the person chosen in the Verify and Enroll tabs")
    parser.add_argument("--verify", action="store_true", help="verify --person before the shots")
    parser.add_argument("--train", type=int, metavar="EPOCHS", help="train in the window before the shots")
    parser.add_argument("--locked", metavar="PASSWORD", help="also shoot the end user's view, locked with PASSWORD")
    args = parser.parse_args(argv)

    window = open_window(args.camera, args.home)
    window.resize(*SIZE)  # the same shots on any screen (the offscreen one is 800x600)
    wait_until(lambda: window.verify_tab.view.frames_shown >= 10, 15)
    if args.locked:  # the operator's view first
        if not window.lock.has_password():
            window.lock.set_password(args.locked)
        window.lock.unlock(args.locked)
    if args.train:
        train(window, args.train)
    if args.person:
        window.verify_tab.person.setCurrentText(args.person)
        window.enroll_tab.person.setCurrentText(args.person)
    if args.verify:
        window.verify_tab.verify()
        wait_until(lambda: window.verify_tab.verify_button.isEnabled(), 120)
    for path in shoot(window, args.outdir):
        print(path)
    window.tabs.setCurrentWidget(window.verify_tab)  # the operator's controls below the result
    window.verify_tab.findChild(QScrollArea).ensureWidgetVisible(window.verify_tab.liveness)
    wait_until(lambda: False, SETTLE_S)
    print(save(window, args.outdir / "9-verify-operator-controls.png"))
    if args.person:
        question = dialogs.confirmation(window, *removal_question(args.person))
        print(save_dialog(window, question, args.outdir / "8-remove-question.png"))
    if args.locked:
        print(save_dialog(window, PasswordDialog(window.lock, window), args.outdir / "7-operator-password.png"))
        window.lock.lock()
        wait_until(lambda: False, SETTLE_S)
        print(save(window, args.outdir / "5-end-user-view.png"))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
