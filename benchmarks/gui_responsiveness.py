"""How smooth is the window with live verification on? Frames per second shown, and the longest GUI-thread block.

    python benchmarks/gui_responsiveness.py [--camera VIDEO] [--home DIR] [--person NAME] [--seconds 20]

Without --home (or FACEVERIFY_HOME) holding a model, a tiny one-epoch model is trained first in a temporary home.
Measured after the model is loaded (the first live score), for --seconds: the distinct frames the view painted
per second, and the longest gap between ticks of a 5 ms timer on the GUI thread (the goal: >= 25 fps and
never blocked for more than 50 ms). Also printed: the most CPU time the GUI thread spent on one event (its own
work; a gap much longer than that is time spent waiting for a CPU or the GIL) and the load average, since
other processes on the machine lengthen the gaps. Runs without a display when QT_QPA_PLATFORM=offscreen.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from demo_home import model_home
from live_window import open_live
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "asl_book.mkv"
TICK_MS = 5


class TimedApplication(QApplication):
    """Records the most GUI-thread CPU time one event took: the app's own work, apart from waiting for the CPU."""

    most_cpu_ms = 0.0

    def notify(self, receiver, event) -> bool:  # noqa: N802 (Qt's name)
        started = time.thread_time()
        try:
            return super().notify(receiver, event)
        finally:
            TimedApplication.most_cpu_ms = max(TimedApplication.most_cpu_ms, (time.thread_time() - started) * 1000)


class BlockMeter:
    """A 5 ms timer on the GUI thread; the longest gap between two ticks is the longest the thread was busy."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.longest_ms = 0.0
        self.timer = QTimer(interval=TICK_MS, timerType=Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.longest_ms = max(self.longest_ms, self.clock.nsecsElapsed() / 1e6)
        self.clock.restart()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--camera", default=str(VIDEO))
    parser.add_argument("--home", type=Path, default=os.environ.get("FACEVERIFY_HOME"))
    parser.add_argument("--person", help="default: the first enrolled person")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    home, scratch = model_home(Path(args.home) if args.home else None, "faceverify-bench-")  # noqa: F841 (kept until exit)

    TimedApplication(sys.argv[:1])
    window = open_live(args.camera, home, args.person)
    if window is None:
        return 1
    tab = window.verify_tab

    meter = BlockMeter()
    frames, scores, started = tab.view.frames_shown, tab.live_scores, time.monotonic()
    TimedApplication.most_cpu_ms = 0.0
    meter.start()
    loop = QEventLoop()
    QTimer.singleShot(round(args.seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.monotonic() - started
    fps = (tab.view.frames_shown - frames) / elapsed
    print(f"camera: {args.camera}; live mode on, person {tab.person.currentText()}; {elapsed:.1f} s measured")
    print(f"frames shown per second: {fps:.1f}  (goal >= 25)")
    print(f"longest GUI-thread block: {meter.longest_ms:.1f} ms  (goal <= 50)")
    print(f"most GUI-thread CPU time in one event: {TimedApplication.most_cpu_ms:.1f} ms")
    print(f"live scores per second: {(tab.live_scores - scores) / elapsed:.1f}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    window.close()
    return 0 if fps >= 25 and meter.longest_ms <= 50 else 2


if __name__ == "__main__":
    sys.exit(main())
