"""The Python API, for programs that embed faceverify: ``faceverify.open(home)`` and the :class:`Faceverify` it gives.

Every call goes through the same core as the command line and the app (enrollment, decisions, the live feed), so
results obey the same rule and land in the same audit log (logged with source 'cli': the audit log knows two faces,
the app and everything else). TensorFlow is loaded on the first decision, not on import.

    import faceverify
    with faceverify.open("faces") as fv:
        fv.enroll("Ada Lovelace", ["ada1.jpg", "ada2.jpg"])
        print(fv.verify("Ada Lovelace", "probe.jpg").accepted)
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceverify.capture.camera import parse_source
from faceverify.enrollment.enroll import EnrollResult, enroll, remove_person
from faceverify.errors import FaceverifyError, ImageError
from faceverify.faces.pipeline import check_side, prepare, prepare_file
from faceverify.files.inputs import shown
from faceverify.home.store import Store, validate_name
from faceverify.liveness.challenge import ChallengeStatus
from faceverify.liveness.live_challenge import LivenessSettings
from faceverify.verification.levels import chosen_level, level_named
from faceverify.verification.live_verify import BURST_FRAMES, LiveOutcome, decide_camera

if TYPE_CHECKING:
    from faceverify.verification.decisions import DecisionService, Outcome

MAX_ITEMS = 10_000  # images in one enrollment or frames in one decision
MAX_BURST = 100  # frames of one camera decision
Image = str | os.PathLike | np.ndarray  # an image file, or an RGB uint8 frame (H, W, 3)


class Faceverify:
    """One faceverify home: its enrolled people, its model, its audit log. Safe to share between threads."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.store = Store(Path(home).expanduser() if home is not None else None)
        self._service: DecisionService | None = None
        self._lock = threading.Lock()

    # -- people ----------------------------------------------------------------------------------------------
    def people(self) -> list[str]:
        """The names of the enrolled people, sorted."""
        return [person.name for person in self.store.people()]

    def enroll(self, name: str, images: Iterable[str | os.PathLike], role: str | None = None) -> EnrollResult:
        """Add face images (files or folders) to a person, alternating anchor and positive unless ``role`` is given."""
        name = validate_name(name)
        paths = [Path(image) for image in _sequence(images, "images", (str, os.PathLike))]
        return enroll(self.store.ensure(), name, paths, role)

    def remove(self, name: str) -> int:
        """Delete a person: their logged attempts first, then their images and cached embeddings; entries deleted."""
        return remove_person(self.store, name, self._service.audit if self._service else None)

    # -- decisions ----------------------------------------------------------------------------------------------
    @property
    def level(self) -> str:
        """The saved security level ('standard', 'high', ... or 'custom'); set it to save another."""
        return chosen_level(self.store.load_settings())

    @level.setter
    def level(self, name: str) -> None:
        level_named(name)  # FaceverifyError for an unknown level
        self.store.ensure().save_settings(security_level=name)

    def verify(self, name: str, image: Image, *, level: str | None = None, detection_threshold: float | None = None,
               verification_threshold: float | None = None) -> Outcome:
        """Is the face in ``image`` (a file or an RGB frame) the enrolled person ``name``? Logged. At ``level``
        (default: the saved one), or at a fixed ``detection_threshold``."""
        return self.verify_frames(name, [image], level=level, detection_threshold=detection_threshold,
                                  verification_threshold=verification_threshold)

    def verify_frames(self, name: str, frames: Sequence[Image], *, level: str | None = None,
                      detection_threshold: float | None = None, verification_threshold: float | None = None) -> Outcome:
        """One decision on a burst of frames (RGB uint8 arrays, or files), every frame against every positive."""
        return self._decide(validate_name(name), _sequence(frames, "frames", (str, os.PathLike, np.ndarray)),
                            detection_threshold, verification_threshold, level)

    def identify(self, image: Image | Sequence[Image], *, level: str | None = None,
                 detection_threshold: float | None = None, verification_threshold: float | None = None) -> Outcome:
        """Who is this? The enrolled person whose share passes best (``outcome.person``, or 'unknown'). Logged."""
        frames = image if isinstance(image, (list, tuple)) else [image]
        return self._decide(None, _sequence(frames, "images", (str, os.PathLike, np.ndarray)), detection_threshold,
                            verification_threshold, level)

    def verify_camera(self, name: str, source: int | str, *, frames: int = BURST_FRAMES, liveness: bool | None = None,
                      on_status: Callable[[ChallengeStatus], None] | None = None) -> LiveOutcome:
        """Verify ``name`` on ``frames`` frames with a face from a camera, video, image sequence or stream.

        ``liveness``: run the head-turn challenge first (None: as the settings say, on by default); ``on_status``
        hears its prompts, to show them to the person.
        """
        name = validate_name(name)
        if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_BURST:
            raise FaceverifyError(f"frames must be a whole number from 1 to {MAX_BURST}, not {shown(repr(frames))}")
        if isinstance(source, bool) or not isinstance(source, (int, str)):
            raise FaceverifyError(f"source must be a device index or a path or URL, not {type(source).__name__}")
        source = parse_source(str(source)) if isinstance(source, int) else source  # an index no device can have
        self.store.require_person(name)
        settings = LivenessSettings.from_settings(self.store.load_settings())
        checked = settings.enabled if liveness is None else liveness
        service = self._decisions()
        return decide_camera(service, source, name, *service.thresholds(), count=frames,
                             challenge=settings.challenge() if checked else None, on_status=on_status)

    def close(self) -> None:
        """Close the audit log (the object can still be used: it opens it again)."""
        with self._lock:
            if self._service is not None:
                self._service.close()

    def __enter__(self) -> Faceverify:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _decide(self, person: str | None, frames: Sequence[Image], detection: float | None,
                verification: float | None, level: str | None) -> Outcome:
        if person is not None:
            self.store.require_person(person)
        _check_thresholds(detection, verification)
        faces = [prepare_file(Path(f)) if isinstance(f, (str, os.PathLike)) else prepare(_rgb(f))
                 for f in frames]
        service = self._decisions()
        label = str(frames[0]) if isinstance(frames[0], (str, os.PathLike)) else f"{len(frames)} frames (api)"
        return service.decide(faces, label, person, *service.thresholds(detection, verification, level))

    def _decisions(self) -> DecisionService:
        with self._lock:
            if self._service is None:
                from faceverify.verification.decisions import DecisionService

                self._service = DecisionService(self.store.ensure(), "cli")
            return self._service


def _rgb(frame: np.ndarray) -> np.ndarray:
    """The frame as a contiguous RGB uint8 array (H, W, 3), or ImageError saying what it is instead (an empty or
    tiny frame is refused as a tiny file is)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ImageError(f"A frame must be RGB uint8 of shape (height, width, 3), not {frame.dtype} {frame.shape}")
    return check_side(np.ascontiguousarray(frame), "the frame")


def _sequence(items: object, what: str, kinds: tuple[type, ...]) -> list:
    """``items`` as a non-empty list of ``kinds``, or FaceverifyError saying what it is instead (a single path as a
    str would otherwise be taken for a sequence of one-letter paths)."""
    if isinstance(items, (str, bytes, os.PathLike, np.ndarray)) or not isinstance(items, Iterable):
        raise FaceverifyError(f"{what} must be a list, not a single {type(items).__name__}: pass [{what[:-1]}]")
    items = list(items)
    if not items or len(items) > MAX_ITEMS:
        raise FaceverifyError(f"{what} must be a list of 1 to {MAX_ITEMS} items, not {len(items)}")
    wrong = [item for item in items if not isinstance(item, kinds)]
    if wrong:
        raise FaceverifyError(f"{what} must be paths or RGB frames, not {type(wrong[0]).__name__}")
    return items


def _check_thresholds(*values: float | None) -> None:
    """FaceverifyError unless each threshold given is a number between 0 and 1 (as on the command line)."""
    for value in values:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0.0 <= value <= 1.0):
            raise FaceverifyError(f"A threshold lies between 0 and 1, not {shown(repr(value))}")
