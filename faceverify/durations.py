"""Durations as people read them, for the CLI's progress bars and the GUI's training panel alike."""
from __future__ import annotations


def format_duration(seconds: float) -> str:
    """"45 s", "3 min 20 s", "1 h 5 min" (rounded to the second; negative counts as 0)."""
    seconds = max(round(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
