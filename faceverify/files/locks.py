"""One writer at a time per home folder: an advisory lock on ``HOME/.lock``.

The lock is ``flock`` on an open file, so the kernel releases it when its holder ends, however it ends: a
killed process never blocks the home. A second writer is refused at once, with a message naming the
holder (what it does, its process id, since when), which it records in the lock file. Each hold opens
the file anew, so two threads of one process (the GUI's training and a capture) exclude each other too.
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from faceverify.errors import FaceverifyError
from faceverify.files.atomic import FILE_MODE, make_private_dir

try:
    import fcntl
except ImportError:  # Windows: no flock; writers are not serialised there
    fcntl = None

LOCK_NAME = ".lock"


class HomeBusyError(FaceverifyError):
    """Another faceverify process (or thread) is changing the same home folder."""


@contextlib.contextmanager
def writing(root: Path, action: str) -> Iterator[None]:
    """Hold the home's writer lock while ``action`` (a noun: "training") runs; HomeBusyError if another holds it."""
    if fcntl is None:
        yield
        return
    root = Path(root)
    make_private_dir(root)
    path = root / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except OSError:
        if path.is_symlink():
            raise FaceverifyError(f"{path} is a symbolic link: faceverify follows no links inside its home "
                                  "folder and changed nothing; remove the link") from None
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HomeBusyError(f"{describe_holder(fd)} is changing the home folder {root}: "
                                "wait until it has finished and try again") from None
        since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        record = json.dumps({"action": action, "pid": os.getpid(), "since": since}).encode()
        with contextlib.suppress(OSError):  # a full disk must not stop a removal, which frees space
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def describe_holder(fd: int) -> str:
    """Who holds the lock open as ``fd``, as recorded: "another faceverify training (pid 123, since ...)"."""
    try:
        record = json.loads(os.pread(fd, 4096, 0))
        return f"another faceverify {record['action']} (pid {int(record['pid'])}, since {record['since']})"
    except (OSError, ValueError, KeyError, TypeError):  # the holder has not written its record yet
        return "another faceverify process"
