"""Content digests of large files (the model), computed once per file version.

A digest names a file by what it holds, so a copy of the home (``cp -a``, a restored backup, another disk)
names its model exactly as the original does. Reading 150 MB costs a fraction of a second, so the digest
is kept per path and recomputed only when the file's size or modification time changes.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_CHUNK = 1 << 20
_cache: dict[str, tuple[tuple[int, int], str]] = {}
_lock = threading.Lock()


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(size, mtime_ns) of a file, or None if it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def remember(path: Path, stamp: tuple[int, int], digest: str) -> None:
    """Take ``digest`` as the file's while it keeps ``stamp`` (recorded beside it when it was written, and
    copied with it by ``cp -a``): no need to read 150 MB again in each new process."""
    with _lock:
        _cache[os.fspath(Path(path).absolute())] = (tuple(stamp), digest)


def content_digest(path: Path, length: int = 16) -> str | None:
    """The first ``length`` hex digits of the file's SHA-256, or None if it cannot be read."""
    key = os.fspath(Path(path).absolute())
    stamp = file_stamp(key)
    if stamp is None:
        return None
    with _lock:
        cached = _cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1][:length]
    digest = hashlib.sha256()
    try:
        with open(key, "rb") as handle:
            stamp = (os.fstat(handle.fileno()).st_size, os.fstat(handle.fileno()).st_mtime_ns)
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    with _lock:
        _cache[key] = (stamp, digest.hexdigest())
    return digest.hexdigest()[:length]
