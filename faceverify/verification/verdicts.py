"""Live mode's log policy: one audit row per change of decision, and a change counts once it holds.

A score every quarter second near the threshold can flip between VERIFIED and NOT VERIFIED on noise; logging each
flip filled the log with rows a second apart. The first verdict is logged at once; a different one is logged when
the same verdict came ``confirm`` times in a row. The live meter shows the verdict logged, so that the screen and
the log always agree.
"""
from __future__ import annotations

from dataclasses import dataclass

CONFIRM = 2  # consecutive live scores a new verdict needs before it is logged


@dataclass
class VerdictLog:
    """The verdict last logged, and a different one waiting to be confirmed (one live session, one person)."""

    confirm: int = CONFIRM
    logged: bool | None = None
    candidate: bool | None = None
    streak: int = 0

    def changed(self, verdict: bool) -> bool:
        """Record the latest verdict; True when it is a confirmed change, to be logged."""
        if self.logged is None:
            self.logged = verdict
            return True
        if verdict == self.logged:
            self.candidate, self.streak = None, 0
            return False
        self.streak = self.streak + 1 if verdict == self.candidate else 1
        self.candidate = verdict
        if self.streak < self.confirm:
            return False
        self.logged, self.candidate, self.streak = verdict, None, 0
        return True
