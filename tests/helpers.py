"""Helpers shared by the trust tests (bad input, crash safety, privacy): the CLI in-process and as a
script, snapshots of the home folder, images made on the spot, and the real LFW data beside the project."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LFW = SHARED_DATA / "lfw"


def lfw_or_skip() -> Path:
    """The real lfw/ folder (read-only, never copied into the project), or skip the test saying why."""
    if not LFW.is_dir():
        pytest.skip(f"real LFW data not found at {LFW} (see ../shared/data/README.md)")
    return LFW


def lfw_images(person: str, count: int) -> list[Path]:
    """The first ``count`` LFW images of ``person`` (skips the test where the data is absent)."""
    folder = lfw_or_skip() / person
    paths = [folder / f"{person}_{i:04d}.jpg" for i in range(1, count + 1)]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"LFW data incomplete: {missing[0]} missing")
    return paths


# -- running the command line ---------------------------------------------------------------------------
def run_cli(capsys, *args: str | os.PathLike) -> tuple[int, str, str]:
    """``faceverify ARGS`` in this process: (exit status, stdout, stderr). argparse's exits count as statuses."""
    from faceverify.cli.commands import main

    capsys.readouterr()  # drop anything printed before
    try:
        status = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse usage errors
        status = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    return status, out, err


def script_command() -> list[str]:
    """The installed ``faceverify`` console script (falls back to ``python -m faceverify``)."""
    found = shutil.which("faceverify")
    return [found] if found else [sys.executable, "-m", "faceverify"]


def run_script(*args: str | os.PathLike, timeout: float = 300) -> subprocess.CompletedProcess:
    """``faceverify ARGS`` as a separate process, as a user runs it."""
    return subprocess.run([*script_command(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def assert_one_line_error(status: int, err: str, *phrases: str) -> str:
    """Exit status 2 and exactly one line on stderr, no traceback, containing each phrase (case-insensitive)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert status == 2, f"exit status {status}, stderr:\n{err}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    for phrase in phrases:
        assert phrase.lower() in lines[0].lower(), f"{phrase!r} not in {lines[0]!r}"
    return lines[0]


# -- the home folder ----------------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple]:
    """Everything under ``root``: files by (size, mtime, mode, sha256), folders by mode; {} if it does not exist.

    Folder mtimes are left out: a staging folder created and removed again changes nothing a user could see;
    so is the writer lock file (``.lock``, empty between writers), which every writer opens.
    """
    if not root.exists():
        return {}
    result: dict[str, tuple] = {".": ("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in sorted(p for p in root.rglob("*") if p != root / ".lock"):
        info = path.lstat()
        key = str(path.relative_to(root))
        if path.is_dir():
            result[key] = ("dir", stat.S_IMODE(info.st_mode))
        else:
            result[key] = ("file", info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode), sha256(path))
    return result


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def modes(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(folders, files) under ``root`` (itself included) whose mode is not 0700 / 0600 respectively, as octal text."""
    bad_dirs, bad_files = {}, {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir() and mode != 0o700:
            bad_dirs[str(path.relative_to(root))] = oct(mode)
        elif not path.is_dir() and mode != 0o600:
            bad_files[str(path.relative_to(root))] = oct(mode)
    return bad_dirs, bad_files


# -- images ---------------------------------------------------------------------------------------------------
def noise_bgr(seed: int, size: int = 120) -> np.ndarray:
    """A reproducible random BGR image (no face in it)."""
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def encode(image: np.ndarray, ext: str = ".png", params: Sequence[int] = ()) -> bytes:
    ok, buffer = cv2.imencode(ext, image, list(params))
    assert ok, f"could not encode {ext}"
    return buffer.tobytes()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def lfw_style_folder(root: Path, people: int = 4, per_person: int = 2, seed: int = 100) -> Path:
    """``root/lfw/<Person>/<Person>_NNNN.jpg`` made of noise JPEGs (for the import machinery, not for accuracy)."""
    for p in range(people):
        name = f"Noise_Person{p}"
        for i in range(1, per_person + 1):
            write(root / "lfw" / name / f"{name}_{i:04d}.jpg", encode(noise_bgr(seed + 10 * p + i, 120), ".jpg"))
    return root


def make_tgz(folder: Path, archive: Path) -> Path:
    """``folder``'s ``lfw/`` packed as a gzip'd tar, as lfw.tgz is."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder / "lfw", arcname="lfw")
    return archive


# -- other processes ----------------------------------------------------------------------------------------------
def hold_home_lock(home: Path, action: str) -> subprocess.Popen:
    """Another process holding the home's writer lock as faceverify does, until its stdin closes or it is killed."""
    code = (f"import sys\nfrom faceverify.files import locks\nwith locks.writing({str(home)!r}, {action!r}):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


# -- the model --------------------------------------------------------------------------------------------------
def save_random_model(path: Path) -> Path:
    """An untrained Siamese model saved as faceverify saves one (atomically, 0600): enough to verify with."""
    from faceverify.model.network import make_siamese, save_model

    save_model(make_siamese(), path)
    return path
