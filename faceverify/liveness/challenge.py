"""The liveness check: a random head-turn challenge, and a frozen-feed check that is always on (no Qt).

It reads a time-ordered stream of :class:`Observation` (one per camera frame: its time, a small grey thumbnail of
the frame, and the face's box and 5 landmarks when one was found) and answers passed or failed with a reason a
person understands. "Left" and "right" are always the user's own: see :func:`faceverify.liveness.head_turn.image_sign`.

The challenge: a baseline while the user looks at the camera, then each prompt in turn ("turn your head to your
left"), to be answered within ``seconds_per_prompt`` relative to that baseline, looking back at the camera between
two prompts. Turning the other way, losing the face for more than :data:`MAX_GAP_S`, or a face that jumps (a
different face, a photo swapped in) fails it. The frames for the identity decision come from inside it
(:meth:`Challenge.identity_frames`).
"""
from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import cv2
import numpy as np

from faceverify.faces.pipeline import Box, Face
from faceverify.home.settings import TABLE
from faceverify.liveness.head_turn import MAX_EYE_SHARE, Direction, Pose, centred, mean_pose, pose_of, turned

THUMBNAIL_SIZE = (80, 60)
# Measured on the real clips: a video repeats a frame now and then (mean difference 0.03-0.25 grey levels), never
# twice in a row; a sensor's noise alone moves an 80x60 thumbnail more. A picture fed again and again moves it less.
FROZEN_DIFFERENCE = 0.1
FROZEN_RUN = 3  # this many near-identical frames in a row after the first: frozen
BASELINE_FRAMES = 5
SMOOTHING = 3  # turns are judged on the mean pose of this many frames (the landmarks jitter)
MAX_GAP_S = 1.0  # longest time the face may go unseen
MAX_JUMP = 0.35  # a face may move this share of its size between two frames, plus MAX_SPEED sizes a second
MAX_SPEED = 3.0
MAX_GROWTH = 1.3  # ... and change size by this factor, plus 1 a second
FACE_PER_EYES = 3.0  # a face's size, in eye distances (for the jump limits)
DEFAULT_PROMPTS = TABLE["liveness_prompts"].default
DEFAULT_SECONDS = TABLE["liveness_seconds"].default


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """The small grey picture of a whole frame that the frozen-feed check compares."""
    return cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Observation:
    """One camera frame as the check sees it; ``index`` lets the caller find the frame again."""

    time: float
    thumbnail: np.ndarray
    box: Box | None = None
    points: np.ndarray | None = None  # dlib's 5 landmarks, (5, 2) image pixels
    frame_width: int = 0
    index: int = 0
    pose: Pose | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        if self.box is not None and self.points is not None:
            object.__setattr__(self, "pose", pose_of(self.points))


def observe(index: int, time: float, rgb: np.ndarray, face: Face | None) -> Observation:
    """The observation of frame number ``index``, taken at ``time`` (seconds), with the face found in it."""
    box = face.box if face is not None else None
    points = face.landmarks.points if face is not None and face.landmarks is not None else None
    return Observation(time, thumbnail(rgb), box, points, rgb.shape[1], index)


class FrozenFeed:
    """Tells a frozen picture (the same frame over and over) from a live camera, one thumbnail at a time."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None
        self._run = 0

    def frozen(self, thumb: np.ndarray) -> bool:
        """Adds the next frame's thumbnail; True once FROZEN_RUN frames in a row repeated the one before."""
        current = thumb.astype(np.int16)
        if self._last is not None and self._last.shape == current.shape:
            same = float(np.abs(current - self._last).mean()) < FROZEN_DIFFERENCE
            self._run = self._run + 1 if same else 0
        self._last = current
        return self._run >= FROZEN_RUN


def same_face(before: Observation, after: Observation) -> bool:
    """Whether the face of ``after`` can be the face of ``before`` moved on: not too far, nor grown too much.

    Measured on the landmarks where both have them (the detector's box jitters by a third from frame to frame).
    """
    dt = max(after.time - before.time, 0.0)
    if before.pose is not None and after.pose is not None:
        (bx, by), (ax, ay) = before.points.mean(axis=0), after.points.mean(axis=0)
        size_before, size_after = FACE_PER_EYES * before.pose.eye_distance, FACE_PER_EYES * after.pose.eye_distance
    else:
        bx, by, size_before = before.box[0] + before.box[2] / 2, before.box[1] + before.box[3] / 2, before.box[2]
        ax, ay, size_after = after.box[0] + after.box[2] / 2, after.box[1] + after.box[3] / 2, after.box[2]
    growth = size_after / max(size_before, 1)
    return (np.hypot(ax - bx, ay - by) <= max(size_before, size_after) * (MAX_JUMP + MAX_SPEED * dt)
            and max(growth, 1 / max(growth, 1e-6)) <= MAX_GROWTH + dt)


class Outcome(Enum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ChallengeStatus:
    """Where the challenge stands: what to tell the user now, how many prompts are answered, the time left for
    the current one, and (when it is over) the outcome's reason in words for a person. ``started``: the user's
    starting pose is known, so turns are asked for and their countdown runs."""

    outcome: Outcome
    instruction: str
    answered: int
    prompts: int
    seconds_left: float
    reason: str = ""
    started: bool = True

    @property
    def done(self) -> bool:
        return self.outcome is not Outcome.RUNNING

    def countdown(self) -> str:
        """What a countdown shows: the whole seconds left for the current turn, rounded up ("6 s left"), which only
        fall until the next turn starts; "" while the starting pose is still being taken."""
        return f"{math.ceil(self.seconds_left)} s left" if self.started else ""


def random_prompts(count: int, rng: random.Random | None = None) -> list[Direction]:
    """``count`` turns, each left or right at random (repeats allowed: the user looks back between two)."""
    rng = rng or random.SystemRandom()
    return [rng.choice((Direction.LEFT, Direction.RIGHT)) for _ in range(count)]


def turn_instruction(direction: Direction) -> str:
    return f"Turn your head to your {direction.value}"


LOOK = "Look straight at the camera"
TOO_CLOSE = "Move a little further from the camera"


class Challenge:
    """The head-turn challenge with the frozen-feed check, fed one :class:`Observation` at a time.

    ``prompts`` are turns from the user's own point of view. ``mirrored``: set it when the analysed frames are
    mirrored (a mirrored *display* of unmirrored frames does not matter). Not thread-safe: one feeder.
    """

    def __init__(self, prompts: Sequence[Direction], seconds_per_prompt: float = DEFAULT_SECONDS,
                 mirrored: bool = False) -> None:
        if not prompts:
            raise ValueError("a challenge needs at least one prompt")
        self.prompts = list(prompts)
        self.seconds_per_prompt = seconds_per_prompt
        self.mirrored = mirrored
        self._frozen = FrozenFeed()
        self._tracked: list[Observation] = []  # every observation of the face, from the first to the last
        self._recent: deque[Pose] = deque(maxlen=SMOOTHING)
        self._baseline: Pose | None = None
        self._answered = 0
        self._centring = False
        self._step_start: float | None = None
        self._now = 0.0
        self._outcome, self._reason = Outcome.RUNNING, ""
        self._too_close = False

    @property
    def status(self) -> ChallengeStatus:
        left = 0.0 if self._step_start is None else self._step_start + self.seconds_per_prompt - self._now
        if self._step_start is None and self._outcome is Outcome.RUNNING:
            left = self.seconds_per_prompt
        return ChallengeStatus(self._outcome, self._instruction(), self._answered, len(self.prompts),
                               max(left, 0.0), self._reason, self._baseline is not None)

    def _instruction(self) -> str:
        if self._outcome is not Outcome.RUNNING:
            return self._reason
        if self._too_close:
            return TOO_CLOSE
        if self._baseline is None or self._centring:
            return LOOK
        return turn_instruction(self.prompts[self._answered])

    def observe(self, observation: Observation) -> ChallengeStatus:
        """Takes the next frame's observation; returns the new status (unchanged once the challenge is over)."""
        if self._outcome is not Outcome.RUNNING:
            return self.status
        if self._step_start is None:
            self._step_start = observation.time
        self._now = max(self._now, observation.time)  # a frame taken before the last clock check moves no clock back
        if self._frozen.frozen(observation.thumbnail):
            return self._end(Outcome.FAILED, "The camera picture is frozen: the same picture again and again is not "
                                             "a live camera")
        if observation.box is not None:
            self._follow(observation)
        if self._outcome is Outcome.RUNNING:
            self.check_time(observation.time)
        return self.status

    def check_time(self, now: float) -> ChallengeStatus:
        """Fails the challenge if the current prompt's time or the face's allowed absence ran out by ``now``.

        The clock starts at the first observation, or at the first call of this (a camera that sends nothing).
        """
        if self._outcome is not Outcome.RUNNING:
            return self.status
        if self._step_start is None:
            self._step_start = now
        self._now = max(self._now, now)
        if self._tracked and self._now - self._tracked[-1].time > MAX_GAP_S:
            return self._end(Outcome.FAILED, "The face was lost during the check: stay in view until it ends")
        if self._now - self._step_start > self.seconds_per_prompt:
            return self._end(Outcome.FAILED, self._timeout_reason())
        return self.status

    def cancel(self) -> ChallengeStatus:
        """Stops the challenge (it cannot pass any more)."""
        if self._outcome is Outcome.RUNNING:
            self._end(Outcome.CANCELLED, "The check was cancelled")
        return self.status

    def identity_frames(self, count: int) -> list[Observation]:
        """The ``count`` observations of the tracked face closest to its starting pose, in time order: the
        frames the identity decision should use (all from inside the challenge)."""
        usable = [o for o in self._tracked if o.pose is not None]
        if self._baseline is not None:
            usable.sort(key=lambda o: abs(o.pose.yaw - self._baseline.yaw))
        return sorted(usable[:count], key=lambda o: o.time)

    # -- the steps ----------------------------------------------------------------------------------------------
    def _follow(self, observation: Observation) -> None:
        if self._tracked and not same_face(self._tracked[-1], observation):
            self._end(Outcome.FAILED, "The face changed during the check: one person, in view from start to end")
            return
        self._tracked.append(observation)
        pose = observation.pose
        if pose is None:
            return
        self._too_close = bool(observation.frame_width) and pose.eye_distance > MAX_EYE_SHARE * observation.frame_width
        if self._too_close:
            self._recent.clear()
            return
        self._recent.append(pose)
        if self._baseline is None:
            self._settle(pose)
        elif len(self._recent) == SMOOTHING:
            self._judge(mean_pose(self._recent), observation.time)

    def _settle(self, pose: Pose) -> None:
        """Collects the baseline: the first BASELINE_FRAMES poses of the face (the user looking at the camera)."""
        poses = [o.pose for o in self._tracked if o.pose is not None][-BASELINE_FRAMES:]
        if len(poses) == BASELINE_FRAMES:
            self._baseline = mean_pose(poses)
            self._step_start = self._tracked[-1].time

    def _judge(self, pose: Pose, now: float) -> None:
        if self._centring:
            self._centring = not centred(pose, self._baseline)
            return
        asked = self.prompts[self._answered]
        if turned(pose, self._baseline, asked.opposite, self.mirrored):
            self._end(Outcome.FAILED, f"You turned your head to your {asked.opposite.value}, not your {asked.value}")
        elif turned(pose, self._baseline, asked, self.mirrored):
            self._answered += 1
            if self._answered == len(self.prompts):
                self._end(Outcome.PASSED, "A live person answered every prompt")
            else:
                self._centring = True
                self._step_start = now

    def _timeout_reason(self) -> str:
        if self._baseline is None:
            return "No face was seen long enough: look straight at the camera" if not self._tracked else \
                "The face was not seen steadily enough to start: look straight at the camera"
        if self._centring:
            return "You did not look back at the camera in time"
        return f"You did not turn your head to your {self.prompts[self._answered].value} in time"

    def _end(self, outcome: Outcome, reason: str) -> ChallengeStatus:
        self._outcome, self._reason = outcome, reason
        return self.status
