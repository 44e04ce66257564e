"""The one guarded way to read input from outside faceverify: image files, archives, JSON, text.

Every reader goes through here, so that no input, however crafted, blocks, exhausts memory or ends in a traceback:

* only regular files are read, checked on the opened descriptor (opened non-blocking, so a FIFO or a device
  named like an image or an archive never blocks), and each kind of input has a size cap (:data:`LIMITS`);
* an image's pixel count is read from its header (Pillow reads headers lazily) and capped before it is decoded;
* a stream (an archive member, a decompressed archive) is capped by what it actually yields, never by what its
  header claims (:class:`CappedReader`, :func:`read_capped`);
* JSON is capped in size and nesting depth before it is parsed (no ``RecursionError``) and checked against a
  schema (:func:`load_json`), so a wrong type is one clear message, never a ``TypeError`` later.

Errors name the input and are the caller's class (``ImageError`` for an image, ``TransferError`` for an archive),
so each face shows them as one line.
"""
from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from faceverify.errors import FaceverifyError, ImageError

MB = 2**20
LIMITS = {  # the largest file read of each kind, in bytes
    "image": 64 * MB,  # a 50-megapixel JPEG is about 25 MB
    "person archive": 256 * MB,  # 5,000 crops of ~30 KB
    "LFW archive": 4096 * MB,  # lfw.tgz is 173 MB; streamed, never held in memory
    "text": 16 * MB,  # an LFW people or pairs file (pairs.txt is 0.1 MB)
    "model": 512 * MB,  # the shipped model's weights (37 MB)
    "JSON": 4 * MB,  # settings, calibration, a model's description, an archive's manifest
}
MAX_PIXELS = 40_000_000  # decoded pixels of one image: 40 MP in RGB is 120 MB, with alpha and 16 bits 320 MB
MAX_JSON_DEPTH = 32  # the deepest any of faceverify's files nests is 4
MAX_SHOWN = 120  # characters of a name or value quoted in an error message


def shown(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` for an error message: at most ``limit`` characters (a 900,000-character file name is not repeated
    whole), on one line."""
    text = " ".join(str(text).splitlines())
    return text if len(text) <= limit else f"{text[:limit // 2]}…{text[-limit // 2:]}"


@contextmanager
def open_regular(path: Path, kind: str, error: type[FaceverifyError] = FaceverifyError) -> Iterator[BinaryIO]:
    """A regular file of at most ``LIMITS[kind]`` bytes, opened for reading; ``error`` saying why not.

    The file is opened non-blocking and judged on the descriptor (``fstat``): a FIFO, socket or device is refused
    at once, and a file swapped after a check cannot slip through. A path given by the user may be a link (it is
    outside the home): what it leads to must be a regular file.
    """
    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"File not found: {name}") from None
    except OSError as exc:
        raise error(f"Cannot read {name}: {exc.strerror}") from None
    info = os.fstat(fd)
    problem = (f"{name} is a folder, not a file" if stat.S_ISDIR(info.st_mode) else
               f"{name} is not a regular file (a pipe, socket or device): only files are read"
               if not stat.S_ISREG(info.st_mode) else
               f"{name} is too large for {_article(kind)} ({info.st_size / MB:,.0f} MB; at most "
               f"{LIMITS[kind] / MB:,.0f} MB are read)" if info.st_size > LIMITS[kind] else None)
    if problem:
        os.close(fd)
        raise error(problem)
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_file(path: Path, kind: str, error: type[FaceverifyError] = FaceverifyError) -> bytes:
    """The bytes of a regular file of at most ``LIMITS[kind]`` bytes (see :func:`open_regular`)."""
    with open_regular(path, kind, error) as handle:
        try:
            return read_capped(handle, LIMITS[kind], f"{shown(path)} ({kind})", error)
        except OSError as exc:
            raise error(f"Cannot read {shown(path)}: {exc.strerror}") from None


def read_text(path: Path, kind: str = "text", error: type[FaceverifyError] = FaceverifyError) -> str:
    """A UTF-8 text file of at most ``LIMITS[kind]`` bytes."""
    try:
        return read_file(path, kind, error).decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{shown(path)} is not a text file (UTF-8)") from None


def read_capped(stream: BinaryIO, limit: int, name: str, error: type[FaceverifyError] = FaceverifyError) -> bytes:
    """All of ``stream``, or ``error`` as soon as it yields more than ``limit`` bytes (whatever a header claimed)."""
    data = stream.read(limit + 1)
    if data is None or len(data) > limit:
        raise error(f"{name} is larger than the {limit / MB:,.0f} MB allowed")
    return data


class CappedReader(io.RawIOBase):
    """A read-only stream over ``stream`` that raises ``error`` once more than ``limit`` bytes came out of it.

    For a decompressing reader: a 4 MB archive that inflates to terabytes is stopped at ``limit``.
    """

    def __init__(self, stream: BinaryIO, limit: int, name: str, error: type[FaceverifyError]) -> None:
        super().__init__()
        self._stream, self._left, self._name, self._error, self._limit = stream, limit, name, error, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise self._error(f"{self._name} holds more than the {self._limit / MB:,.0f} MB allowed "
                              "(a decompression bomb?)")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def image_pixels(data: bytes) -> tuple[int, int] | None:
    """(width, height) that an image's header declares, read without decoding it; None for a format Pillow does
    not know (OpenCV then decodes nothing either: see :func:`check_pixels`)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # Pillow only describes images here, never decodes them: the cap is MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001 (Pillow raises many kinds for a header it cannot read)
        return None


def check_pixels(data: bytes, name: str, max_pixels: int = MAX_PIXELS, reduction: int = 1) -> None:
    """ImageError unless the image's header declares a size whose decoding (at 1/``reduction`` scale) stays within
    ``max_pixels``; an image whose size cannot be read from its header is refused (its decoding is unbounded)."""
    size = image_pixels(data)
    if size is None:
        raise ImageError(f"{shown(name)} is not an image faceverify can read (JPEG, PNG, BMP, TIFF or WebP)")
    width, height = size
    if (width // reduction) * (height // reduction) > max_pixels:
        raise ImageError(f"{shown(name)} is too large ({width}x{height}): "
                         f"at most {max_pixels // 1_000_000} megapixels are decoded")


def check_depth(data: bytes, name: str, max_depth: int = MAX_JSON_DEPTH,
                error: type[FaceverifyError] = FaceverifyError) -> None:
    """``error`` if JSON ``data`` nests deeper than ``max_depth`` (brackets inside strings do not count)."""
    codes = np.frombuffer(data, np.uint8)
    quotes = codes == ord('"')
    index = np.arange(len(codes))
    last_other = np.maximum.accumulate(np.where(codes == ord("\\"), -1, index)) if len(codes) else index
    run = index - last_other  # backslashes ending at each position
    escaped = np.zeros_like(quotes)
    escaped[1:] = run[:-1] % 2 == 1  # a quote after an odd run of backslashes is part of a string
    inside = np.cumsum(quotes & ~escaped) % 2 == 1
    step = (np.isin(codes, (ord("["), ord("{"))).astype(np.int64) - np.isin(codes, (ord("]"), ord("}")))) * ~inside
    if len(step) and np.cumsum(step).max() > max_depth:
        raise error(f"{shown(name)} nests deeper than {max_depth} levels: it is not a faceverify file")


def load_json(source: Path | bytes, name: str, schema: dict, error: type[FaceverifyError] = FaceverifyError,
              kind: str = "JSON") -> object:
    """JSON from a file (or bytes already read, capped by the caller), bounded in size and depth and valid under
    ``schema`` (JSON Schema); ``error`` naming the first problem otherwise."""
    data = read_file(source, kind, error) if isinstance(source, (str, os.PathLike)) else bytes(source)
    if len(data) > LIMITS[kind]:
        raise error(f"{shown(name)} is larger than the {LIMITS[kind] / MB:,.0f} MB allowed")
    check_depth(data, name, error=error)
    import json

    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise error(f"{shown(name)} is not valid JSON: {shown(exc)}") from None
    problem = schema_problem(value, schema)
    if problem:
        raise error(f"{shown(name)} is not valid: {problem}")
    return value


def schema_problem(value: object, schema: dict) -> str | None:
    """The first way ``value`` breaks ``schema`` (JSON Schema, checked by the jsonschema library), or None."""
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is None:
        return None
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"{where.lstrip('.') or 'the whole'}: {shown(error.message)}"


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0].lower() in "aeiou" else f"a {kind}"
