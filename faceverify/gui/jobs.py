"""The jobs the window runs on worker threads (see workers.Task): thin calls into the core, no Qt.

TensorFlow is imported here only inside the jobs that need it, so the window opens without it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceverify.capture.camera import list_devices
from faceverify.enrollment import transfer
from faceverify.enrollment.enroll import EnrollResult, ImportResult, enroll, import_lfw
from faceverify.enrollment.enroll import remove_person as remove_enrolled
from faceverify.enrollment.transfer import Transferred
from faceverify.errors import FaceverifyError
from faceverify.faces.pipeline import crop_face
from faceverify.files import locks
from faceverify.gui.context import AppContext
from faceverify.gui.workers import Task
from faceverify.home.store import ROLES, Store, read_crop, validate_name
from faceverify.liveness.live_challenge import NOT_CHECKED, LivenessResult, LivenessSettings
from faceverify.model import shipped
from faceverify.training.config import TrainingConfig, TrainingResult
from faceverify.verification.levels import Level, PersonThreshold, chosen_level, level_named
from faceverify.verification.live_verify import BURST_FRAMES as BURST_FRAMES  # the Verify tab names it
from faceverify.verification.live_verify import decide_live
from faceverify.verification.verdicts import VerdictLog

if TYPE_CHECKING:
    from faceverify.verification.rule import Decision

FRAME_TIMEOUT = 5.0  # how long a capture waits for the camera before giving up
CAPTURE_INTERVAL = 0.2  # seconds between the frames of a capture burst
PROGRESS_INTERVAL = 0.1  # seconds between two progress reports of an import


@dataclass(frozen=True)
class VerifyOutcome:
    """A logged decision, with the time it took from the first frame and how many frames held a face; ``decision``
    is None when the liveness check failed (then nothing was scored)."""

    decision: Decision | None
    seconds: float
    frames: int
    faces_found: int
    liveness: LivenessResult = NOT_CHECKED
    logged: bool = True  # live mode logs changes of decision only


@dataclass(frozen=True)
class Capture:
    """One frame of a capture: ``path`` of the stored crop, or None when the frame held no face; ``new`` is False
    when the very same crop was stored already (a camera that repeats a frame)."""

    role: str
    path: Path | None
    pixels: np.ndarray
    new: bool = True


@dataclass(frozen=True)
class Captured:
    """What a capture stored: new crops, and frames whose crop was there already (not stored twice)."""

    stored: int
    repeated: int


def find_cameras(task: Task) -> list[int]:
    return list_devices()


def load_model(task: Task, context: AppContext) -> None:
    """Load the current runtime model (a ModelError, say for a damaged file, is shown when verifying)."""
    context.decisions()


def verify_burst(task: Task, context: AppContext, name: str, detection: float | Level,
                 verification: float) -> VerifyOutcome:
    """Verify ``name`` on BURST_FRAMES frames with a face; logged. With liveness on (the settings), the frames come
    from inside the head-turn challenge, whose statuses are reported as progress; cancelling the task cancels it."""
    settings = LivenessSettings.from_settings(context.store.load_settings())
    live = decide_live(context.feed.current(), context.decisions(), name, detection, verification,
                       challenge=settings.challenge() if settings.enabled else None, on_status=task.report,
                       cancelled=task.cancelled)
    return VerifyOutcome(live.outcome.decision if live.outcome else None, live.seconds, live.frames_seen,
                         live.faces_found, live.liveness)


def level_thresholds(task: Task, context: AppContext) -> dict[str, PersonThreshold | str]:
    """Each enrolled person's threshold at the saved security level ({} at custom), or why it cannot be set."""
    level = level_named(chosen_level(context.store.load_settings()))
    if level is None:
        return {}
    verifier = context.decisions().verifier
    verification = context.threshold("verification_threshold")
    found: dict[str, PersonThreshold | str] = {}
    for person in context.store.people():
        try:
            found[person.name] = verifier.level_threshold(person.name, level, verification)
        except FaceverifyError as exc:
            found[person.name] = str(exc)
    return found


def score_live(task: Task, context: AppContext, name: str, detection: float | Level, verification: float,
               verdicts: VerdictLog) -> VerifyOutcome | None:
    """Score the next frame (None when it holds no face); logged only when ``verdicts`` says the decision changed."""
    decisions = context.decisions()
    started = time.monotonic()
    feed = context.feed.current()
    face = feed.require_frame(None, FRAME_TIMEOUT).face
    if face is None:
        return None
    outcome = decisions.decide([face], feed.description, name, detection, verification, log=False)
    logged = verdicts.changed(outcome.decision.verified)
    if logged:
        decisions.log(outcome, face)
    return VerifyOutcome(outcome.decision, time.monotonic() - started, 1, 1, logged=logged)


def capture(task: Task, context: AppContext, name: str, role: str, count: int) -> Captured:
    """Store the faces of ``count`` frames, CAPTURE_INTERVAL apart, as ``role`` images; says how many were new."""
    name = validate_name(name)
    with locks.writing(context.store.root, "capture"):
        return _capture(task, context, name, role, count)


def _capture(task: Task, context: AppContext, name: str, role: str, count: int) -> Captured:
    feed = context.feed.current()
    stored, repeated, due, after = 0, 0, time.monotonic(), None
    for index in range(count):
        if task.cancelled():
            break
        frame = feed.require_frame(after, FRAME_TIMEOUT)
        after = frame.index
        face = frame.face or crop_face(frame.rgb, None)  # shown, not stored, when there is no face
        new = frame.face is not None and not context.store.image_path(name, role, face.pixels).exists()
        path = context.store.add_image(name, role, face.pixels) if frame.face else None
        stored, repeated = stored + new, repeated + (path is not None and not new)
        task.report(Capture(role, path, face.pixels, new))
        due += CAPTURE_INTERVAL
        if index < count - 1:
            time.sleep(max(due - time.monotonic(), 0))
    return Captured(stored, repeated)


def load_images(task: Task, store: Store, name: str) -> tuple[str, dict[str, list[tuple[Path, np.ndarray]]]]:
    """The name and the person's stored crops by role (none for a person not created yet)."""
    return name, {role: [(path, read_crop(path)) for path in store.images(name, role)] for role in ROLES}


def enroll_folder(task: Task, store: Store, name: str, folder: Path) -> EnrollResult:
    return enroll(store, name, [folder])


def count_negatives(task: Task, store: Store) -> int:
    return store.negative_count()


def import_negatives(task: Task, store: Store, source: Path) -> ImportResult:
    """Import LFW as negatives, reporting (done, total) now and then; cancelling adds nothing."""
    last = 0.0

    def progress(done: int, total: int | None) -> None:
        nonlocal last
        if task.cancelled():
            raise FaceverifyError("LFW import cancelled: no negatives were added")
        if time.monotonic() - last >= PROGRESS_INTERVAL or done == total:
            last = time.monotonic()
            task.report((done, total))

    return import_lfw(store, source, on_progress=progress)


def train(task: Task, store: Store, epochs: int, fine_tune: bool = False, resume: bool = False) -> TrainingResult:
    """Train a new model (from the current one if ``fine_tune``), or continue the interrupted training (``resume``),
    reporting training.Progress after every step; cancelling raises TrainingCancelled."""
    from faceverify.training.trainer import Trainer

    callbacks = {"on_progress": task.report, "should_stop": task.cancelled}
    if resume:
        return Trainer.resume(store, **callbacks).run()
    # from the shipped generic model when there is one, else from scratch rather than not at all
    config = TrainingConfig(epochs=epochs, fine_tune=fine_tune, from_scratch=not fine_tune and not shipped.available())
    return Trainer(store, config, **callbacks).run()


def export_person(task: Task, store: Store, name: str, path: Path) -> Transferred:
    return transfer.export_person(store, name, path)


def import_person(task: Task, store: Store, path: Path) -> Transferred:
    return transfer.import_person(store, path)


def remove_person(task: Task, context: AppContext, name: str) -> tuple[str, int]:
    """Delete every audit entry about a person, then their images; returns the name and how many entries went."""
    return validate_name(name), remove_enrolled(context.store, name, context.audit)
