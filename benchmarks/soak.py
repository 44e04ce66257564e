"""Does the window stay up? Plays a looping 30 fps video with live mode on for a long time and reports as it goes.

    python benchmarks/soak.py [--minutes 10] [--camera VIDEO] [--home DIR] [--every 60]

Every --every seconds it prints the process's resident memory, the frames shown and live scores per second since
the last line and, on Python < 3.12, the reference counts of None and True (a PySide6 release that loses
references to them aborts the interpreter when one reaches zero). At the end: whether it is alive, its memory
growth from the first line (the model loaded, live mode running) to the last, and the mean shown frame rate.
Without --home holding an enrolled person, a tiny model is trained first in a temporary home (TensorFlow then
stays loaded); a --home without a model of its own decides with the shipped model, as an end user's does. The last
line says whether TensorFlow was ever imported. Run it on the oldest supported
Python, without a display (QT_QPA_PLATFORM=offscreen) or under xvfb-run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import PySide6
from demo_home import model_home
from live_window import open_live
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "asl_book.mkv"


def rss_mib() -> float:
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--camera", default=str(VIDEO))
    parser.add_argument("--home", type=Path, default=os.environ.get("FACEVERIFY_HOME"))
    parser.add_argument("--every", type=float, default=60.0, help="seconds between two report lines")
    args = parser.parse_args()

    home, scratch = model_home(Path(args.home) if args.home else None, "faceverify-soak-")  # noqa: F841 (kept until exit)

    QApplication(sys.argv[:1])
    window = open_live(args.camera, home)
    if window is None:
        return 1
    tab = window.verify_tab

    print(f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, camera {args.camera}, "
          f"live mode on for {args.minutes:g} min", flush=True)
    started = last = time.monotonic()
    first_rss = rss_mib()
    frames = start_frames = tab.view.frames_shown
    scores = tab.live_scores
    loop = QEventLoop()

    def report() -> None:
        nonlocal last, frames, scores
        now = time.monotonic()
        span = now - last
        counts = "" if sys.version_info >= (3, 12) else \
            f"  refs None {sys.getrefcount(None)}, True {sys.getrefcount(True)}"
        print(f"{(now - started) / 60:5.1f} min  RSS {rss_mib():7.1f} MiB  "
              f"{(tab.view.frames_shown - frames) / span:5.1f} frames/s shown  "
              f"{(tab.live_scores - scores) / span:4.1f} live scores/s{counts}", flush=True)
        last, frames, scores = now, tab.view.frames_shown, tab.live_scores
        if now - started >= args.minutes * 60:
            loop.quit()

    timer = QTimer(interval=round(args.every * 1000))
    timer.timeout.connect(report)
    timer.start()
    report()
    loop.exec()
    elapsed = time.monotonic() - started
    print(f"alive after {elapsed / 60:.1f} min; memory {first_rss:.0f} -> {rss_mib():.0f} MiB "
          f"({rss_mib() - first_rss:+.0f} MiB); {(tab.view.frames_shown - start_frames) / elapsed:.1f} frames/s shown "
          f"on average; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; TensorFlow "
          f"{'loaded' if 'tensorflow' in sys.modules else 'never imported'}", flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
