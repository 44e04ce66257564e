"""Labeled Faces in the Wild: stream its images (``lfw.tgz`` or an unpacked folder) and read its protocol files.

The layout is ``lfw/<Person>/<Person>_NNNN.jpg``. The protocol files are ``peopleDevTrain.txt``,
``peopleDevTest.txt`` and ``lfw-names.txt`` (people) and ``pairsDevTrain.txt``, ``pairsDevTest.txt`` and
``pairs.txt`` (pairs).
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from faceverify.errors import DatasetError
from faceverify.files import inputs

_IMAGE_RE = re.compile(r"(.+)_\d{4}\.jpg")
_NAME_RE = re.compile(r"\w[\w.'-]*")
_COMPRESSED = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}
MAX_INFLATED = 8 * 2**30  # what an LFW archive may inflate to in all (LFW itself: 230 MB)
_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError)


@dataclass(frozen=True)
class LfwImage:
    """One LFW image: its person, its file name (``Aaron_Eckhart_0001.jpg``) and its encoded JPEG bytes."""

    person: str
    name: str
    data: bytes


@dataclass(frozen=True)
class LfwPair:
    """One protocol pair: image ``index_a`` of ``person_a`` against image ``index_b`` of ``person_b``."""

    person_a: str
    index_a: int
    person_b: str
    index_b: int
    same: bool
    fold: int

    @property
    def paths(self) -> tuple[str, str]:
        """The two images' paths relative to the ``lfw/`` folder."""
        return image_path(self.person_a, self.index_a), image_path(self.person_b, self.index_b)


def image_path(person: str, index: int) -> str:
    """``Person/Person_NNNN.jpg``: an image's path relative to the ``lfw/`` folder."""
    return f"{person}/{person}_{index:04d}.jpg"


def iter_lfw(path: Path, people: set[str] | None = None) -> Iterator[LfwImage]:
    """Stream every LFW image of ``path`` (an archive, the ``lfw/`` folder or a folder holding it), one at a time.

    Only ``<Person>/<Person>_NNNN.jpg`` files count; ``people`` keeps just those persons (a folder then opens only
    theirs). Folder images come sorted, archive images in archive order. Archive images are yielded while the
    archive is read, so a caller may already hold some when a truncation error is raised: the caller decides
    whether to keep them. (An uncompressed tar cut exactly between members cannot be told from a whole one.)
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    found = 0
    for image in _iter_folder(_folder_root(path), people) if path.is_dir() else _iter_archive(path, people):
        found += 1
        yield image
    if not found:
        wanted = "" if people is None else f" of the {len(people)} requested people"
        raise DatasetError(f"{path} holds no LFW images{wanted} (expected lfw/<Person>/<Person>_0001.jpg)")


def count_lfw(path: Path) -> int | None:
    """The number of LFW images in a folder, or None where it is not cheaply known (an archive)."""
    path = Path(path)
    if not path.is_dir():
        return None
    return sum(1 for _ in _folder_files(_folder_root(path), None))


def read_people_file(path: Path) -> list[tuple[str, int]]:
    """``(name, image count)`` from ``peopleDev*.txt`` (a count line first) or ``lfw-names.txt`` (none)."""
    lines = _read_lines(path)
    declared = int(lines[0][1]) if _positive(lines[0][1].strip()) else None
    entries = lines[1:] if declared is not None else lines
    people: list[tuple[str, int]] = []
    seen: set[str] = set()
    for number, line in entries:
        fields = line.split()
        if len(fields) != 2 or not _NAME_RE.fullmatch(fields[0]) or not _positive(fields[1]):
            raise DatasetError(f"{path} line {number}: expected 'Name<TAB>images', got {line!r}")
        if fields[0] in seen:
            raise DatasetError(f"{path} line {number}: {fields[0]} is listed twice")
        seen.add(fields[0])
        people.append((fields[0], int(fields[1])))
    if declared is not None and declared != len(people):
        raise DatasetError(f"{path} declares {declared} people but lists {len(people)}")
    if not people:
        raise DatasetError(f"{path} lists no people")
    return people


def read_pairs_file(path: Path) -> list[LfwPair]:
    """Pairs from a View 1 file (header ``N``: fold 0) or View 2 ``pairs.txt`` (header ``10 300``: folds 0-9).

    Each fold holds N same-person lines ``Name i j`` followed by N different-person lines ``NameA i NameB j``.
    """
    lines = _read_lines(path)
    header = lines[0][1].split()
    if not 1 <= len(header) <= 2 or not all(_positive(field) for field in header):
        raise DatasetError(f"{path} line 1: expected 'pairs' or 'folds pairs', got {lines[0][1]!r}")
    folds, per_half = (1, int(header[0])) if len(header) == 1 else (int(header[0]), int(header[1]))
    body = lines[1:]
    if len(body) != 2 * folds * per_half:
        raise DatasetError(
            f"{path} declares {folds} fold(s) of 2 x {per_half} pairs but holds {len(body)} pair lines"
        )
    return [_parse_pair(path, number, line, k // (2 * per_half), k % (2 * per_half) < per_half)
            for k, (number, line) in enumerate(body)]


def _parse_pair(path: Path, number: int, line: str, fold: int, same: bool) -> LfwPair:
    """One pair line; ``same`` says which of the two forms the line must have."""
    fields = line.split()
    names, indices = (fields[:1] * 2, fields[1:]) if same else (fields[::2], fields[1::2])
    if (len(fields) != (3 if same else 4) or not all(_NAME_RE.fullmatch(name) for name in names)
            or not all(_positive(index) for index in indices)):
        form = "Name i j" if same else "NameA i NameB j"
        raise DatasetError(f"{path} line {number}: expected '{form}', got {line!r}")
    return LfwPair(names[0], int(indices[0]), names[1], int(indices[1]), same, fold)


def _positive(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) > 0


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """The file's ``(line number, text)`` pairs, trailing blank lines dropped."""
    text = inputs.read_text(Path(path), "text", DatasetError)
    lines = list(enumerate(text.rstrip().splitlines(), start=1))
    if not lines:
        raise DatasetError(f"{path} is empty")
    return lines


def _folder_root(path: Path) -> Path:
    """The folder holding the person folders: ``path/lfw`` if there is one, else ``path`` itself."""
    return path / "lfw" if (path / "lfw").is_dir() else path


def _folder_files(root: Path, people: set[str] | None) -> Iterator[tuple[str, Path]]:
    """``(person, file)`` for each LFW image under ``root``, sorted; only ``people``'s folders are opened."""
    persons = sorted(people) if people is not None else [entry.name for entry in _scan(root) if entry.is_dir()]
    for person in persons:
        for entry in _scan(root / person):
            if entry.is_file() and _person_of(entry.name) == person:
                yield person, Path(entry.path)


def _scan(folder: Path) -> list[os.DirEntry]:
    """``folder``'s entries sorted by name; none where it is missing or not a folder."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        raise DatasetError(f"{folder} cannot be read: {error.strerror}") from None


def _iter_folder(root: Path, people: set[str] | None) -> Iterator[LfwImage]:
    for person, file in _folder_files(root, people):
        yield LfwImage(person, file.name, inputs.read_file(file, "image", DatasetError))


def _iter_archive(path: Path, people: set[str] | None) -> Iterator[LfwImage]:
    """Stream a (gzip, bzip2, xz or plain) tar archive's LFW members, whatever its top folder is called.

    The archive must be a regular file (a FIFO named ``lfw.tgz`` is refused at once); what it inflates to is
    capped in all (:data:`MAX_INFLATED`) and per member (an image's cap), counting what really comes out.
    """
    with inputs.open_regular(path, "LFW archive", DatasetError) as raw:
        try:
            stream = inputs.CappedReader(_decompressed(raw), MAX_INFLATED, str(path), DatasetError)
            archive = tarfile.open(fileobj=io.BufferedReader(stream), mode="r|")
        except EOFError as error:  # a compressed stream that ends within its first tar block: cut short
            raise DatasetError(f"{path} is truncated or corrupt after 0 images: {error}") from None
        except _ARCHIVE_ERRORS as error:
            raise DatasetError(f"{path} is not an LFW archive or folder: {error}") from None
        images = 0
        try:
            with archive:
                for member in archive:
                    parts = PurePosixPath(member.name).parts
                    if not member.isfile() or len(parts) < 2 or _person_of(parts[-1]) != parts[-2]:
                        continue
                    if people is None or parts[-2] in people:
                        data = inputs.read_capped(archive.extractfile(member), inputs.LIMITS["image"],
                                                  f"{path}: {inputs.shown(member.name)}", DatasetError)
                        yield LfwImage(parts[-2], parts[-1], data)
                        images += 1
            # Read to the end: a compressed stream cut short only shows when its end marker is missing.
            while stream.read(1 << 20):
                pass
        except _ARCHIVE_ERRORS as error:
            raise DatasetError(f"{path} is truncated or corrupt after {images} images: {error}") from None


def _decompressed(raw: BinaryIO) -> BinaryIO:
    """``raw`` itself, or a decompressing reader when it starts with a gzip, bzip2 or xz signature."""
    head = raw.read(6)
    raw.seek(0)
    for magic, reader in _COMPRESSED.items():
        if head.startswith(magic):
            return reader(raw)
    return raw


def _person_of(file_name: str) -> str | None:
    """The person an LFW file name (``Person_NNNN.jpg``) belongs to, or None for any other file."""
    match = _IMAGE_RE.fullmatch(file_name)
    return match.group(1) if match else None
