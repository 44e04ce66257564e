"""Bringing faces into the store and taking them out: enrolling a person from image files, importing LFW as
negatives, removing a person.

Both check everything before they write: a bad file named on its own stops the whole enrollment
with nothing written; bad files inside a folder are skipped and counted. Every change is all or nothing, even
killed (:mod:`journal`): an LFW import that fails part-way (a cut-short archive) leaves the negatives exactly as
they were.
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from faceverify.enrollment.lfw import LfwImage, count_lfw, iter_lfw
from faceverify.errors import DatasetError, FaceverifyError, ImageError
from faceverify.faces.pipeline import Face, decode_image, prepare, read_image
from faceverify.files import confine, locks
from faceverify.home import journal
from faceverify.home.audit import AuditLog
from faceverify.home.store import ROLES, Store, validate_name

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
IMPORT_WINDOW = 64  # LFW images being prepared at once


@dataclass
class EnrollResult:
    """What an enrollment added, and what it skipped."""

    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    already_there: int = 0  # crops identical to one the person already has (the same image given again)
    without_face: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason" for unreadable files inside folders


def collect_images(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Split the given paths into (files named directly, image files found inside folders)."""
    direct, found = [], []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not inside:
                raise ImageError(f"No images (JPEG, PNG or BMP) in folder {path}")
            found += inside
        elif path.exists():
            direct.append(path)
        else:
            raise ImageError(f"File not found: {path}")
    return direct, found


def prepare_images(paths: Iterable[Path]) -> tuple[list[tuple[Path, Face]], list[str]]:
    """Faces of the given files and folders: files named directly must be readable, bad ones in folders are skipped."""
    direct, found = collect_images(paths)
    faces = [(path, prepare(read_image(path))) for path in direct]
    skipped = []
    for path in found:
        try:
            faces.append((path, prepare(read_image(path))))
        except ImageError as exc:
            skipped.append(str(exc))
    if not faces:
        raise ImageError(f"None of the {len(skipped)} image files could be read: {skipped[0]}")
    return faces, skipped


def enroll(store: Store, name: str, paths: Iterable[Path], role: str | None = None) -> EnrollResult:
    """Add images to a person: to ``role``, or to whichever of anchor/positive has fewer (alternating).

    All or nothing: the crops are written to a staging folder in the home first and moved into place only
    once every one is written, so a failure (a full disk) adds none of them, and a person who did not exist
    before a failed enrollment does not exist after it. Holds the home's writer lock.
    """
    name = validate_name(name)
    faces, skipped = prepare_images(paths)
    with locks.writing(store.ensure().root, "enrollment"), journal.change(store, journal.ENROLL) as staging:
        try:
            result = _stage_enrollment(store, Store(staging), name, faces, role)
            result.skipped = skipped
            journal.commit(staging, store)
        except OSError as exc:
            raise FaceverifyError(f"Enrolling {name} failed and added nothing: {exc.strerror or exc}") from None
    return result


def _stage_enrollment(store: Store, staged: Store, name: str, faces: list[tuple[Path, Face]],
                      role: str | None) -> EnrollResult:
    """Write the new crops under ``staged``; the roles alternate from the person's present counts."""
    result = EnrollResult()
    counts = {r: len(store.images(name, r)) for r in ROLES}
    for _, face in faces:
        if store.find_image(name, face.pixels) or staged.find_image(name, face.pixels):  # never the same crop twice
            result.already_there += 1
            continue
        chosen = role or min(ROLES, key=lambda r: (counts[r], ROLES.index(r)))
        staged.add_image(name, chosen, face.pixels)
        counts[chosen] += 1
        result.added[chosen] += 1
        result.without_face += not face.face_found
    return result


@dataclass
class ImportResult:
    """What an LFW import added."""

    added: int = 0
    already_there: int = 0
    unreadable: int = 0
    without_face: int = 0


def import_lfw(store: Store, source: Path, people: set[str] | None = None,
               on_progress: Callable[[int, int | None], None] | None = None) -> ImportResult:
    """Import LFW images as negatives, streaming; all or nothing: a failure part-way adds none of them.

    Holds the home's writer lock (a training reading the negatives meanwhile is refused, and refuses this).
    """
    with locks.writing(store.ensure().root, "LFW import"):
        return _import_lfw(store, source, people, on_progress)


def _import_lfw(store: Store, source: Path, people: set[str] | None,
                on_progress: Callable[[int, int | None], None] | None) -> ImportResult:
    result = ImportResult()
    total = count_lfw(Path(source)) if people is None else None
    with journal.change(store, journal.IMPORT) as staging:
        staged = Store(staging)
        # decoding, detection and encoding release the GIL: a few threads use every core, while the
        # bounded window keeps the stream's memory small
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            window: deque[Future] = deque()
            for done, image in enumerate(iter_lfw(Path(source), people), start=1):
                if store.negative_path(image.person, image.name).exists():
                    result.already_there += 1
                else:
                    window.append(pool.submit(_stage, staged, image))
                while len(window) > IMPORT_WINDOW or (window and window[0].done()):
                    _count(window.popleft().result(), result)
                if on_progress:
                    on_progress(done, total)
            for future in window:
                _count(future.result(), result)
        if result.added == 0 and result.already_there == 0:
            raise DatasetError(f"{source}: none of its LFW images could be read")
        journal.commit(staging, store)
    return result


def _stage(staged: Store, image: LfwImage) -> Face | None:
    """Prepare one LFW image and store its crop in the staging area; None if it is unreadable."""
    try:
        face = prepare(decode_image(image.data, image.name))
    except ImageError:
        return None
    staged.add_negative(image.person, image.name, face.pixels)
    return face


def _count(face: Face | None, result: ImportResult) -> None:
    if face is None:
        result.unreadable += 1
    else:
        result.added += 1
        result.without_face += not face.face_found


def remove_person(store: Store, name: str, audit: AuditLog | None = None) -> int:
    """Delete a person: their folder leaves the home in one rename (see :mod:`journal`), then their logged attempts
    (with their crops) and cached embeddings go; a decision in flight for them logs nothing after it (see
    ``AuditLog.record``). ``audit`` is an open log (else the home's is opened for the call). Returns the entries
    deleted. Holds the home's writer lock, and first checks that nothing in the person's folder is a link or a
    special file, so that a refusal changes nothing.
    """
    name = validate_name(name)
    store.require_person(name)  # before the lock, which would create a home that is not there
    with locks.writing(store.root, "removal"), journal.change(store, journal.REMOVE) as staging:
        confine.check_tree(store.require_person(name))
        return journal.remove_person(store, name, staging, audit)
