"""Guards on the files faceverify touches: nothing leaves the home folder through a link, and only regular
files of a bounded size are read as images (a FIFO or a device would block or never end).

The home folder itself may be a link (a home on another disk); what lies inside it may not.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from faceverify.errors import FaceverifyError, ImageError

MAX_IMAGE_BYTES = 64 * 2**20  # the largest image file read (a 50-megapixel JPEG is about 25 MB)


class LinkInHomeError(FaceverifyError):
    """An entry inside the home folder is a symbolic link (or another file type faceverify never writes)."""


def _refuse_link(path: Path) -> LinkInHomeError:
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    return LinkInHomeError(f"{path} is a symbolic link{target}: faceverify follows no links inside its home "
                           "folder and changed nothing; remove the link")


def inside(root: Path, *parts: str) -> Path:
    """``root/parts...``, checked: none of its existing parts below ``root`` is a symbolic link."""
    path = Path(root)
    for index, part in enumerate(parts):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:  # missing (or below a file): nothing to follow
            return path.joinpath(*parts[index + 1:])
        if stat.S_ISLNK(mode):
            raise _refuse_link(path)
    return path


def owner_only(folder: Path) -> None:
    """Make a folder that others can read or enter owner-only (0700), or say why it cannot be."""
    if os.stat(folder).st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError as exc:
            raise FaceverifyError(f"The home folder {folder} can be read by others and cannot be made owner-only "
                                  f"({exc.strerror}): run chmod 700 on it") from None


def check_tree(folder: Path) -> None:
    """Refuse a folder holding a link or a special file anywhere below it (before deleting or reading it)."""
    for entry in os.scandir(folder):
        if entry.is_symlink():
            raise _refuse_link(Path(entry.path))
        if entry.is_dir():
            check_tree(Path(entry.path))
        elif not entry.is_file():
            raise LinkInHomeError(f"{entry.path} is not a regular file: faceverify changed nothing; remove it")


def regular_files(folder: Path, suffix: str) -> list[Path]:
    """Regular files named ``*suffix`` in ``folder`` (not hidden), sorted; a link or special file is refused."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        if not entry.name.endswith(suffix) or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            raise _refuse_link(Path(entry.path))
        if not entry.is_file():
            raise LinkInHomeError(f"{entry.path} is not a regular file: remove it")
        found.append(Path(entry.path))
    return sorted(found)


def read_regular_file(path: Path, limit: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ImageError saying why not.

    A path given by the user may be a link (it is outside the home); what it leads to must be a regular file.
    """
    try:
        info = os.stat(path)  # never blocks, unlike opening a FIFO
    except FileNotFoundError:
        raise ImageError(f"File not found: {path}") from None
    except OSError as exc:
        raise ImageError(f"Cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(f"{path} is a folder, not an image")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{path} is not a regular file (a pipe, socket or device): only image files are read")
    if info.st_size > limit:
        raise ImageError(f"{path} is too large for an image ({info.st_size / 2**20:.0f} MB; "
                         f"at most {limit / 2**20:.0f} MB are read)")
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced after the check above
                raise ImageError(f"{path} is not a regular file: only image files are read")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ImageError(f"Cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise ImageError(f"{path} is too large for an image (more than {limit / 2**20:.0f} MB)")
    return data
