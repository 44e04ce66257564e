"""The window as the GUI benchmarks measure it: showing the camera, live mode on, its first score in."""
from __future__ import annotations

from pathlib import Path

from faceverify.gui.app import open_window
from faceverify.gui.main_window import MainWindow
from faceverify.gui.screenshots import wait_until


def open_live(camera: str, home: Path, person: str | None = None) -> MainWindow | None:
    """The window over ``home`` on ``camera``, live mode on for ``person`` (default: the first enrolled), once the
    first live score is in; None, after saying why, when frames or scores do not come."""
    window = open_window(camera, home)
    tab = window.verify_tab
    if not wait_until(lambda: tab.view.frames_shown >= 10, 30):
        print(f"No frames from {camera}: {window.context.feed.message}")
        return None
    if person:
        tab.person.setCurrentText(person)
    tab.live.setChecked(True)
    if not wait_until(lambda: tab.live_scores > 0, 180):
        print(f"Live mode gave no result in 3 minutes: {tab.meter_label.text()}")
        return None
    return window
