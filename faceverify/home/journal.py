"""Changes to the home that are all or nothing, even under ``kill -9``: stage, commit, finish.

A writer (enrollment, LFW import, person import, removal, training's model swap) holds the home's writer lock and
works in a staging folder in the home (``HOME/.enroll-*``, ``.import-*``, ``.remove-*``, ``.train-*``), laid out like
the home itself. Its change becomes real at one atomic step, the commit: a marker file written into the staging
folder (adding), or the person's folder renamed into it (removing). After the commit the writer finishes the change
(moves the staged files into place, and for a new model drops the thresholds chosen for the old one; deletes the
removed person's logged attempts, cached embeddings and crops) and deletes the staging folder.

A writer killed at any point leaves its staging folder. The next writer, holding the lock (so the folder's writer is
surely gone), first calls :func:`recover`: a committed change is finished, any other is thrown away. The home is
then in the state before the change or after it, never between. Finishing is idempotent (a file already moved is
skipped), so a writer killed while recovering is recovered in turn.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from faceverify.files import atomic, confine
from faceverify.home.audit import AuditLog
from faceverify.home.store import Store

ENROLL, IMPORT, REMOVE, TRAIN = ".enroll-", ".import-", ".remove-", ".train-"
COMMITTED = "COMMITTED"  # an adding change's marker: its staged files must all be moved into place
STAGED_TREES = ("people", "negatives", "model")  # what an adding change stages, as it lies in the home
REMOVED_NAME, REMOVED_FOLDER = "name", "person"  # a removal: the person's name, then their folder moved here


@contextlib.contextmanager
def change(store: Store, prefix: str) -> Iterator[Path]:
    """A new staging folder of the home (hold the writer lock), after recovering what a killed writer left; it is
    deleted at the end, committed (see :func:`commit`) or not."""
    recover(store)
    folder = atomic.make_private_dir(store.root / f"{prefix}{uuid.uuid4().hex}")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def commit(folder: Path, store: Store) -> None:
    """Make the change staged in ``folder`` real: write its marker (the one atomic step), then move it into place."""
    atomic.write_bytes(folder / COMMITTED, b"")
    _finish_adding(folder, store)


def remove_person(store: Store, name: str, folder: Path, audit: AuditLog | None = None) -> int:
    """Remove ``name`` (checked enrolled) through the staging ``folder``: their folder moves into it (the commit),
    then their logged attempts, cached embeddings and crops go. Returns the logged entries deleted."""
    atomic.write_text(folder / REMOVED_NAME, name)
    os.rename(store.person_dir(name), folder / REMOVED_FOLDER)
    return _finish_removal(folder, store, audit)


def recover(store: Store) -> None:
    """Finish the committed changes that killed writers left in the home, and throw away the others."""
    for prefix in (ENROLL, IMPORT, REMOVE, TRAIN):
        for folder in sorted(store.root.glob(f"{prefix}*")):
            if not folder.is_dir() or folder.is_symlink():
                continue
            if (folder / COMMITTED).is_file():
                _finish_adding(folder, store)
            elif prefix == REMOVE and (folder / REMOVED_FOLDER).is_dir():
                _finish_removal(folder, store, None)
            shutil.rmtree(folder, ignore_errors=True)


def _finish_adding(folder: Path, store: Store) -> None:
    """Move each staged file to the same place in the home; a folder the home lacks moves whole, in one rename.
    A new model (``.train-*``) then drops the thresholds chosen for the old one: its scores mean something new."""
    for tree in STAGED_TREES:
        staged = folder / tree
        for group in sorted(staged.iterdir()) if staged.is_dir() else []:
            target = confine.inside(store.root, tree, group.name)
            atomic.make_private_dir(target.parent)
            if group.is_file() and not group.is_symlink():
                os.replace(group, target)
                continue
            if not os.path.lexists(target):
                os.rename(group, target)
                continue
            for file in sorted(p for p in group.rglob("*") if p.is_file()):
                destination = confine.inside(target, *file.relative_to(group).parts)
                atomic.make_private_dir(destination.parent)
                os.replace(file, destination)
    if folder.name.startswith(TRAIN):
        store.save_settings(detection_threshold=None, verification_threshold=None)


def _finish_removal(folder: Path, store: Store, audit: AuditLog | None) -> int:
    """Delete a removed person's logged attempts, cached embeddings and crops (each step may run again)."""
    name = (folder / REMOVED_NAME).read_text("utf-8")
    if audit is not None:
        removed = audit.remove_person(name)
    elif store.audit_path.exists():
        with AuditLog(store.audit_path) as log:
            removed = log.remove_person(name)
    else:
        removed = 0
    store.remove_caches(name)
    confine.remove_entry(folder, REMOVED_FOLDER)
    return removed
