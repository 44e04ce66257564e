"""Deciding from a live feed, shared by the GUI's Verify button, `faceverify verify/identify --camera` and the API.

A burst of frames that hold a face is taken from a :class:`~.live.LiveFeed` and decided and logged, as one
probe, by a :class:`~faceverify.verification.decisions.DecisionService`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceverify.capture.live import LiveFeed, LiveFrame
from faceverify.errors import CameraError
from faceverify.faces.pipeline import Face
from faceverify.liveness.challenge import Challenge, ChallengeStatus
from faceverify.liveness.live_challenge import NOT_CHECKED, LivenessResult, run_challenge

if TYPE_CHECKING:  # not at run time: the decisions bring the model runtime, and the GUI imports this module at start
    from faceverify.verification.decisions import DecisionService, Outcome
    from faceverify.verification.levels import Level

BURST_FRAMES = 5  # frames per decision
FACE_TIMEOUT = 5.0  # seconds a burst waits for enough frames with a face


@dataclass(frozen=True)
class LiveOutcome:
    """A live decision: the logged outcome (None when the liveness check failed: nothing was scored), the faces it
    used, how many frames the feed processed meanwhile, the time it took, and the liveness check's result."""

    outcome: Outcome | None
    faces: list[Face]
    frames_seen: int  # frames processed from the first asked for to the last used, with or without a face
    seconds: float  # from asking for the first frame to the decision
    image: str  # the source's description
    person: str | None  # the claimed person (verify), None (identify)
    liveness: LivenessResult = NOT_CHECKED

    @property
    def faces_found(self) -> int:
        return len(self.faces)

    @property
    def accepted(self) -> bool:
        return self.outcome is not None and self.outcome.accepted

    def to_json(self) -> dict:
        """The JSON object of `faceverify verify/identify --camera --json`."""
        if self.outcome is not None:
            result = self.outcome.to_json()
        else:
            result = {"image": self.image, "kind": "verify" if self.person else "identify",
                      "person": self.person or "unknown", "verified": False, "face_found": bool(self.faces)}
        return result | {"frames": self.faces_found, "frames_seen": self.frames_seen,
                         "liveness": self.liveness.to_json()}

    def describe(self) -> str:
        """One human-readable line."""
        if self.outcome is None:
            return f"{self.image}: NOT VERIFIED — liveness check failed: {self.liveness.reason}"
        passed = " (liveness check passed)" if self.liveness.passed else ""
        return self.outcome.describe() + passed


def take_burst(feed: LiveFeed, count: int = BURST_FRAMES, timeout: float = FACE_TIMEOUT) -> list[LiveFrame]:
    """The next ``count`` frames with a face (fewer if the time runs out); CameraError if there is none at all."""
    frames = feed.burst(count, timeout)
    if feed.stopped or not (frames or feed.live):
        raise feed.no_frame_error()
    if not frames:
        raise CameraError(f"No face seen in {timeout:g} s from {feed.description}: face the camera and try again")
    return frames


def decide_live(feed: LiveFeed, service: DecisionService, person: str | None, detection: float | Level,
                verification: float, *, count: int = BURST_FRAMES, timeout: float = FACE_TIMEOUT,
                challenge: Challenge | None = None, on_status: Callable[[ChallengeStatus], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> LiveOutcome:
    """Verify ``person`` (or identify, when None) on the next ``count`` frames with a face, and log it.

    With a ``challenge`` (liveness), the frames come from inside it, and nothing is scored unless it passes (the
    failure is logged); ``on_status`` and ``cancelled`` go to :func:`~faceverify.liveness.live_challenge.run_challenge`.
    Load the model first (``service.verifier.load()``) so that the burst is not older than the decision.
    """
    started = time.monotonic()
    if challenge is None:
        before = feed.latest()
        frames = take_burst(feed, count, timeout)
        faces, liveness = [f.face for f in frames], NOT_CHECKED
        seen = frames[-1].index - (before.index if before else 0)
    else:
        run = run_challenge(feed, challenge, on_status, cancelled, count)
        faces, seen, liveness = run.faces, run.frames_seen, run.result
        if not liveness.passed:
            service.log_refusal(feed.description, person, detection, verification, liveness)
            return LiveOutcome(None, [], seen, time.monotonic() - started, feed.description, person, liveness)
    outcome = service.decide(faces, feed.description, person, detection, verification, liveness=liveness)
    return LiveOutcome(outcome, faces, seen, time.monotonic() - started, feed.description, person, liveness)


def decide_camera(service: DecisionService, source: int | str, person: str | None, detection: float | Level,
                  verification: float, **options) -> LiveOutcome:
    """Open ``source``, load the model while the camera starts, then :func:`decide_live` on its next frames
    (``options``: its keyword arguments)."""
    with LiveFeed(source) as feed:
        service.verifier.load()
        return decide_live(feed, service, person, detection, verification, **options)
