"""One writer at a time per home folder: an exclusive lock on ``HOME/.lock``, taken through ``portalocker``.

portalocker locks an open file the same way on every desktop: ``flock`` on Linux and macOS, ``LockFileEx`` or
``msvcrt.locking`` on Windows. Either way the kernel releases the lock when its holder ends, however it ends: a
killed process never blocks the home. A second writer is refused at once, with a message naming the holder
(what it does, its process id, since when), which it records in the lock file (Windows keeps a locked file's
bytes from other processes: there the message says "another faceverify process"). Each hold opens the file
anew, so two threads of one process (the GUI's training and a capture) exclude each other too.
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import portalocker

from faceverify.errors import FaceverifyError
from faceverify.files.atomic import FILE_MODE, make_private_dir

LOCK_NAME = ".lock"
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class HomeBusyError(FaceverifyError):
    """Another faceverify process (or thread) is changing the same home folder."""


@contextlib.contextmanager
def writing(root: Path, action: str) -> Iterator[None]:
    """Hold the home's writer lock while ``action`` (a noun: "training") runs; HomeBusyError if another holds it."""
    root = Path(root)
    make_private_dir(root)
    path = root / LOCK_NAME
    if path.is_symlink():  # O_NOFOLLOW refuses it where the platform has it; say why everywhere
        raise FaceverifyError(f"{path} is a symbolic link: faceverify follows no links inside its home "
                              "folder and changed nothing; remove the link")
    with os.fdopen(os.open(path, _OPEN_FLAGS, FILE_MODE), "r+b", buffering=0) as file:  # closing releases the lock
        try:
            portalocker.lock(file, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.exceptions.LockException:
            raise HomeBusyError(f"{describe_holder(file)} is changing the home folder {root}: "
                                "wait until it has finished and try again") from None
        since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        _rewrite(file, json.dumps({"action": action, "pid": os.getpid(), "since": since}).encode())
        try:
            yield
        finally:
            _rewrite(file, b"")


def _rewrite(file: BinaryIO, record: bytes) -> None:
    """Replace the lock file's content (a full disk must not stop a removal, which frees space)."""
    with contextlib.suppress(OSError):
        file.seek(0)
        file.truncate()
        file.write(record)


def describe_holder(file: BinaryIO) -> str:
    """Who holds the lock on ``file``, as recorded: "another faceverify training (pid 123, since ...)"."""
    try:
        file.seek(0)
        record = json.loads(file.read(4096))
        return f"another faceverify {record['action']} (pid {int(record['pid'])}, since {record['since']})"
    except (OSError, ValueError, KeyError, TypeError):  # not written yet, or unreadable while locked (Windows)
        return "another faceverify process"
