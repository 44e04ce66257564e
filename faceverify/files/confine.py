"""Confinement to the home folder: nothing faceverify reads, writes or deletes leaves it through a link.

Two ways, one rule. :func:`inside` checks a path's existing parts before a library (Keras, SQLite) opens it.
:func:`read_bytes`, :func:`write_bytes`, :func:`unlink`, :func:`names` and :func:`remove_entry` open every part
below the home from its parent's descriptor with ``O_NOFOLLOW`` (``openat``), so a link put in place between a
check and a use is still refused: the embedding cache, which is rewritten and pruned all the time, goes through these.

The home folder itself may be a link (a home on another disk); what lies inside it may not.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

from faceverify.errors import FaceverifyError
from faceverify.files.atomic import DIR_MODE, FILE_MODE


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


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_LINK_ERRORS = (errno.ELOOP, errno.ENOTDIR)  # O_NOFOLLOW met a link (ENOTDIR: a link or file where a folder is)


@contextlib.contextmanager
def folder(root: Path, *parts: str, create: bool = False) -> Iterator[int | None]:
    """A descriptor of the folder ``root/parts...``, each part opened from its parent's with ``O_NOFOLLOW``;
    None when a part is missing (created, owner-only, when ``create``). LinkInHomeError at a link."""
    fd: int | None = os.open(root, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))  # the home itself may be a link
    try:
        for index, part in enumerate(parts):
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, DIR_MODE, dir_fd=fd)
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.close(fd)
                fd = None
                break
            except OSError as exc:
                if exc.errno in _LINK_ERRORS:
                    raise _refuse_link(Path(root).joinpath(*parts[: index + 1])) from None
                raise
            os.close(fd)
            fd = child
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def read_bytes(root: Path, *parts: str, limit: int) -> bytes | None:
    """The bytes of the regular file ``root/parts...`` (at most ``limit``), reached through no link; None when it
    is missing or larger than ``limit``."""
    with folder(root, *parts[:-1]) as fd:
        if fd is None:
            return None
        try:
            file = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _refuse_link(Path(root).joinpath(*parts)) from None
            raise
        with os.fdopen(file, "rb") as handle:
            if not stat.S_ISREG(os.fstat(file).st_mode):
                raise LinkInHomeError(f"{Path(root).joinpath(*parts)} is not a regular file: remove it")
            data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def write_bytes(root: Path, *parts: str, data: bytes) -> None:
    """Write ``root/parts...`` atomically (owner-only), creating its folders; every part reached through no link."""
    with folder(root, *parts[:-1], create=True) as fd:
        temporary = f".{parts[-1]}.{uuid.uuid4().hex}.tmp"
        file = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE,
                       dir_fd=fd)
        try:
            with os.fdopen(file, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, parts[-1], src_dir_fd=fd, dst_dir_fd=fd)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=fd)


def unlink(root: Path, *parts: str) -> bool:
    """Delete the file ``root/parts...`` (a link there is deleted itself, never what it leads to); whether it was
    there. A link on the way to it is refused."""
    with folder(root, *parts[:-1]) as fd:
        if fd is None:
            return False
        try:
            os.unlink(parts[-1], dir_fd=fd)
        except FileNotFoundError:
            return False
    return True


def names(root: Path, *parts: str, folders: bool = False) -> list[str]:
    """The names in the folder ``root/parts...`` (only its real folders, never links, when ``folders``), sorted;
    none when it is missing."""
    with folder(root, *parts) as fd:
        if fd is None:
            return []
        with os.scandir(fd) as entries:
            return sorted(entry.name for entry in entries if not folders or entry.is_dir(follow_symlinks=False))


def remove_entry(root: Path, *parts: str) -> None:
    """Delete ``root/parts...``: a folder with all it holds (links inside are deleted, never followed), a file or
    a link itself. A link on the way to it is refused."""
    with folder(root, *parts[:-1]) as fd:
        if fd is None:
            return
        try:
            info = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            _remove_tree(parts[-1], fd)
        else:
            os.unlink(parts[-1], dir_fd=fd)


def _remove_tree(name: str, parent: int) -> None:
    """Delete the folder ``name`` of the folder open as ``parent`` and all it holds, following no link."""
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    _remove_tree(entry.name, fd)
                else:
                    os.unlink(entry.name, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)
