"""Deciding from a live feed, shared by the GUI's Verify button, `faceverify verify/identify --camera` and the API.

A burst of frames that hold a face is taken from a :class:`~faceverify.live.LiveFeed` and decided and logged, as one
probe, by a :class:`~faceverify.decisions.DecisionService`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import CameraError
from .live import LiveFeed, LiveFrame

if TYPE_CHECKING:  # not at run time: the decisions bring TensorFlow, and the GUI imports this module at start
    from .decisions import DecisionService, Outcome

BURST_FRAMES = 5  # frames per decision
FACE_TIMEOUT = 5.0  # seconds a burst waits for enough frames with a face


@dataclass(frozen=True)
class LiveOutcome:
    """A logged decision on a burst: the frames it used, how many the feed processed meanwhile, the time it took."""

    outcome: Outcome
    frames: list[LiveFrame]
    frames_seen: int  # frames processed from the first asked for to the last used, with or without a face
    seconds: float  # from asking for the first frame to the decision

    @property
    def faces_found(self) -> int:
        return len(self.frames)


def take_burst(feed: LiveFeed, count: int = BURST_FRAMES, timeout: float = FACE_TIMEOUT) -> list[LiveFrame]:
    """The next ``count`` frames with a face (fewer if the time runs out); CameraError if there is none at all."""
    frames = feed.burst(count, timeout)
    if feed.stopped or not (frames or feed.live):
        raise feed.no_frame_error()
    if not frames:
        raise CameraError(f"No face seen in {timeout:g} s from {feed.description}: face the camera and try again")
    return frames


def decide_live(feed: LiveFeed, service: DecisionService, person: str | None, detection: float,
                verification: float, *, count: int = BURST_FRAMES, timeout: float = FACE_TIMEOUT) -> LiveOutcome:
    """Verify ``person`` (or identify, when None) on the next ``count`` frames with a face, and log it.

    Load the model first (``service.verifier.load()``) so that the burst is not older than the decision.
    """
    started = time.monotonic()
    before = feed.latest()
    frames = take_burst(feed, count, timeout)
    seen = frames[-1].index - (before.index if before else 0)
    outcome = service.decide([f.face for f in frames], feed.description, person, detection, verification)
    return LiveOutcome(outcome, frames, seen, time.monotonic() - started)


def decide_camera(service: DecisionService, source: int | str, person: str | None, detection: float,
                  verification: float, *, count: int = BURST_FRAMES, timeout: float = FACE_TIMEOUT) -> LiveOutcome:
    """Open ``source``, load the model while the camera starts, then :func:`decide_live` on its next frames."""
    with LiveFeed(source) as feed:
        service.verifier.load()
        return decide_live(feed, service, person, detection, verification, count=count, timeout=timeout)
