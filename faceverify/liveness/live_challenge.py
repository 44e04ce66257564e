"""The liveness challenge run on a live feed, with its settings and its result (no Qt).

The CLI and the GUI both call :func:`run_challenge` on a :class:`~faceverify.capture.live.LiveFeed` (the GUI on a worker
thread): it feeds each new frame to a :class:`~.challenge.Challenge`, reports each change of instruction
or countdown second, and returns the outcome with the faces of the frames the identity decision should use.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceverify.faces.pipeline import Face
from faceverify.home.settings import TABLE, value
from faceverify.liveness.challenge import (
    DEFAULT_PROMPTS,
    DEFAULT_SECONDS,
    Challenge,
    ChallengeStatus,
    Outcome,
    observe,
    random_prompts,
)

if TYPE_CHECKING:
    from faceverify.capture.live import LiveFeed

PROMPT_RANGE = TABLE["liveness_prompts"].range
SECONDS_RANGE = TABLE["liveness_seconds"].range
IDENTITY_FRAMES = 5
POLL_S = 0.25  # how often the time limit is checked while no frame comes


@dataclass(frozen=True)
class LivenessSettings:
    """Stored in settings.json with the other settings: ``liveness`` (on unless set false), ``liveness_prompts``,
    ``liveness_seconds`` (per prompt), typed in :data:`faceverify.home.settings.TABLE`."""

    enabled: bool = True
    prompts: int = DEFAULT_PROMPTS
    seconds: float = DEFAULT_SECONDS

    @classmethod
    def from_settings(cls, saved: dict) -> LivenessSettings:
        """From the saved settings; a value of the wrong type or out of range counts as the default."""
        return cls(value(saved, "liveness"), value(saved, "liveness_prompts"), float(value(saved, "liveness_seconds")))

    def to_settings(self) -> dict:
        return {"liveness": self.enabled, "liveness_prompts": self.prompts, "liveness_seconds": self.seconds}

    def challenge(self, rng: random.Random | None = None) -> Challenge:
        """A new challenge with random prompts (``rng``: for tests; by default the system's randomness)."""
        return Challenge(random_prompts(self.prompts, rng), self.seconds)


@dataclass(frozen=True)
class LivenessResult:
    """What the JSON result and the audit log say about liveness."""

    checked: bool
    passed: bool
    reason: str

    @classmethod
    def of(cls, status: ChallengeStatus) -> LivenessResult:
        return cls(True, status.outcome is Outcome.PASSED, status.reason)

    @property
    def audit_value(self) -> str:
        """'not checked', 'passed' or 'failed', as the audit log's liveness column holds it."""
        return "not checked" if not self.checked else "passed" if self.passed else "failed"

    def to_json(self) -> dict:
        return {"checked": self.checked, "passed": self.passed, "reason": self.reason}


NOT_CHECKED = LivenessResult(False, False, "liveness check turned off")


@dataclass(frozen=True)
class ChallengeRun:
    """A challenge run on a feed: its final status, the faces for the identity decision (when it passed) and how
    many frames the feed processed meanwhile."""

    status: ChallengeStatus
    faces: list[Face]
    frames_seen: int

    @property
    def result(self) -> LivenessResult:
        return LivenessResult.of(self.status)


def run_challenge(feed: LiveFeed, challenge: Challenge, on_status: Callable[[ChallengeStatus], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, count: int = IDENTITY_FRAMES) -> ChallengeRun:
    """Runs ``challenge`` on the feed's next frames until it ends; when it passed, the faces of ``count`` frames
    from inside it go to the identity decision.

    ``on_status`` hears the status whenever the instruction or the countdown change, from the first frame
    until the end (the end itself is returned), on this thread.
    It is cancelled once ``cancelled()`` is true. Raises CameraError when the feed is stopped or never sent a frame.
    """
    faces: dict[int, Face] = {}
    shown, first, after = None, None, None
    status = challenge.check_time(time.monotonic())  # starts the clock, frames or not
    while not status.done:
        if cancelled is not None and cancelled():
            status = challenge.cancel()
            break
        frame = feed.next_frame(after, POLL_S)
        if frame is None:
            if feed.stopped:
                raise feed.no_frame_error()
            status = challenge.check_time(time.monotonic())
        else:
            first, after = first or frame.index, frame.index
            if frame.face is not None:
                faces[frame.index] = frame.face
            status = challenge.observe(observe(frame.index, frame.time, frame.rgb, frame.face))
        if on_status is not None and first is not None and not status.done \
                and (status.instruction, status.countdown()) != shown:
            shown = (status.instruction, status.countdown())
            on_status(status)
    if first is None and status.outcome is Outcome.FAILED and not feed.live:
        raise feed.no_frame_error()  # not the person's failure: the source sent nothing
    chosen = challenge.identity_frames(count) if status.outcome is Outcome.PASSED else []
    return ChallengeRun(status, [faces[o.index] for o in chosen], (after or 0) - (first or 0) + bool(first))
