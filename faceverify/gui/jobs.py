"""The jobs the window runs on worker threads (see workers.Task): thin calls into the core, no Qt.

TensorFlow is imported here only inside the jobs that need it, so the window opens without it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceverify import locks
from faceverify.camera import list_devices
from faceverify.enrollment import EnrollResult, ImportResult, enroll, import_lfw
from faceverify.errors import FaceverifyError
from faceverify.store import ROLES, Store, read_crop, validate_name

from .context import AppContext
from .workers import Task

if TYPE_CHECKING:
    from faceverify.rule import Decision
    from faceverify.training import TrainingResult

BURST_FRAMES = 5  # frames per Verify click
CAPTURE_INTERVAL = 0.2  # seconds between the frames of a capture burst
PROGRESS_INTERVAL = 0.1  # seconds between two progress reports of an import


@dataclass(frozen=True)
class VerifyOutcome:
    """A logged decision, with the time it took from the first frame and how many frames held a face."""

    decision: Decision
    seconds: float
    frames: int
    faces_found: int


@dataclass(frozen=True)
class Capture:
    """One frame of a capture: ``path`` of the stored crop, or None when the frame held no face."""

    role: str
    path: Path | None
    pixels: np.ndarray


def find_cameras(task: Task) -> list[int]:
    return list_devices()


def verify_burst(task: Task, context: AppContext, name: str, detection: float, verification: float) -> VerifyOutcome:
    """Verify ``name`` on the next BURST_FRAMES frames (timed once the model is loaded); the attempt is logged."""
    decisions = context.decisions()
    started = time.monotonic()
    faces = context.feed.next_faces(BURST_FRAMES)
    outcome = decisions.decide(faces, "camera", name, detection, verification)
    return VerifyOutcome(outcome.decision, time.monotonic() - started, len(faces), sum(f.face_found for f in faces))


def score_live(task: Task, context: AppContext, name: str, detection: float, verification: float,
               previous: bool | None) -> VerifyOutcome | None:
    """Score the next frame (None when it holds no face). Only a verdict that differs from ``previous`` is logged."""
    decisions = context.decisions()
    started = time.monotonic()
    faces = context.feed.next_faces(1)
    if not faces[0].face_found:
        return None
    outcome = decisions.decide(faces, "camera", name, detection, verification, log=False)
    if outcome.decision.verified != previous:
        decisions.log(outcome, faces[0])
    return VerifyOutcome(outcome.decision, time.monotonic() - started, 1, 1)


def capture(task: Task, context: AppContext, name: str, role: str, count: int) -> int:
    """Store the faces of ``count`` frames, CAPTURE_INTERVAL apart, as ``role`` images; returns how many."""
    name = validate_name(name)
    with locks.writing(context.store.root, "capture"):
        return _capture(task, context, name, role, count)


def _capture(task: Task, context: AppContext, name: str, role: str, count: int) -> int:
    stored, due = 0, time.monotonic()
    for index in range(count):
        if task.cancelled():
            break
        face = context.feed.next_faces(1)[0]
        path = context.store.add_image(name, role, face.pixels) if face.face_found else None
        stored += path is not None
        task.report(Capture(role, path, face.pixels))
        due += CAPTURE_INTERVAL
        if index < count - 1:
            time.sleep(max(due - time.monotonic(), 0))
    return stored


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


def train(task: Task, store: Store, epochs: int, fine_tune: bool = False) -> TrainingResult:
    """Train a new model (from the current one if ``fine_tune``), reporting training.Progress after every step;
    cancelling raises TrainingCancelled."""
    from faceverify.training import Trainer, TrainingConfig

    config = TrainingConfig(epochs=epochs, fine_tune=fine_tune)
    return Trainer(store, config, on_progress=task.report, should_stop=task.cancelled).run()


def remove_person(task: Task, context: AppContext, name: str) -> int:
    """Delete a person's images and every audit entry about them; returns how many entries went."""
    return context.store.remove_person(name)
