"""What the command line shows on the terminal while it works: liveness prompts and progress bars (stderr)."""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from faceverify.durations import format_duration

if TYPE_CHECKING:
    from faceverify.liveness.challenge import ChallengeStatus


class PromptLine:
    """The liveness challenge's prompts on stderr (stdout stays for the result): one line redrawn with its
    countdown on a terminal, a line per new prompt elsewhere."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def show(self, status: ChallengeStatus) -> None:
        if self.tty:
            countdown = f" ({status.countdown()})" if status.started else ""
            print(f"\r{status.instruction}{countdown}\033[K", end="", file=sys.stderr, flush=True)
        elif status.instruction != self.last:
            print(status.instruction, file=sys.stderr, flush=True)
        self.last = status.instruction

    def close(self) -> None:
        if self.tty and self.last:
            print(file=sys.stderr)


class ProgressBar:
    """A one-line progress bar with ETA on stderr: redrawn in place on a terminal, a line every few seconds in a log."""

    WIDTH = 28

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.drawn = 0.0 if self.tty else self.start  # a log gets no line for work that takes under 5 s

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def update(self, done: int, total: int | None, text: str = "", eta: float | None = None) -> None:
        now = time.monotonic()
        if now - self.drawn < (0.2 if self.tty else 5.0) and done != total:
            return
        self.drawn = now
        if total:
            filled = round(self.WIDTH * done / total)
            if eta is None:
                eta = (now - self.start) * (total - done) / max(done, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"{self.label} [{bar}] {done}/{total} {text} ETA {format_duration(eta)}"
        else:
            line = f"{self.label} {done} {text} ({format_duration(now - self.start)})"
        print(f"\r{line}\033[K" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty and self.drawn:
            print(file=sys.stderr)
