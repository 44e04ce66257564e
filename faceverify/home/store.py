"""The home folder: enrolled people and their face crops, LFW negatives, model, results, settings.

Layout (everything owner-only: folders 0700, files 0600)::

    HOME/people/<name>/anchor/<hash>.png      face crops, 100x100 RGB
    HOME/people/<name>/positive/<hash>.png
    HOME/negatives/<LFW person>/<file>.png    LFW face crops, prepared the same way
    HOME/model/siamese.keras                  the trained model
    HOME/model/calibration.json               its thresholds, calibrated on the validation split
    HOME/model/embeddings/<version>/<name>.npz cached gallery embeddings
    HOME/checkpoints/                         training in progress (for --resume)
    HOME/results/                             training history, evaluation reports, ROC plots
    HOME/settings.json, HOME/audit.sqlite, HOME/.lock (the writer lock, see locks.py)
    HOME/logs/faceverify.log                  diagnostics (rotated; no face data), see diagnostics.py

Crops are regular files, never links (see confine.py); hidden files are atomic writes in progress.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import platformdirs

from faceverify.errors import FaceverifyError, InvalidNameError, UnknownPersonError
from faceverify.faces.pipeline import encode_png
from faceverify.files import atomic, confine
from faceverify.files.inputs import shown
from faceverify.home import settings

ROLES = ("anchor", "positive")
NAME_MAX = 64
NAME_MAX_BYTES = 128  # "<name>.npz" and the like stay far below the 255 bytes file systems allow in a name
_NAME_RE = re.compile(r"^[\w][\w .'-]*$")
IMAGE_SUFFIX = ".png"
EMBEDDINGS = ("model", "embeddings")  # below the home: <version>/<name>.npz, a person's cached gallery embeddings


def validate_name(name: object) -> str:
    """Return ``name`` in Unicode NFC, stripped, or raise InvalidNameError if it could not be a safe folder name.

    NFC: two spellings of the same text ("\u00c5sa" and "A\u030asa") are one person, as a user reads them.
    The name becomes file names (``<name>.npz`` in the embedding cache), so it is capped in bytes as well as in
    characters: 64 four-byte characters would pass the one and not the other.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"A person's name is text, not {type(name).__name__}")
    stripped = unicodedata.normalize("NFC", name).strip()
    if not stripped:
        raise InvalidNameError("A person's name cannot be empty")
    if len(stripped) > NAME_MAX or len(stripped.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES:
        raise InvalidNameError(f"A person's name can have at most {NAME_MAX} characters and {NAME_MAX_BYTES} bytes "
                               f"in UTF-8 (this one has {len(stripped)} characters)")
    if "/" in stripped or "\\" in stripped or ".." in stripped or not _NAME_RE.match(stripped):
        raise InvalidNameError(
            f"Invalid name {shown(repr(name))}: use letters, digits, spaces, '.', '-', '_' and \"'\" (no '/', '\\' "
            "or '..')"
        )
    return stripped


def default_home() -> Path:
    """FACEVERIFY_HOME, else this platform's per-user data folder, as platformdirs finds it: $XDG_DATA_HOME or
    ~/.local/share (Linux), ~/Library/Application Support (macOS), %LOCALAPPDATA% (Windows), then faceverify."""
    if env := os.environ.get("FACEVERIFY_HOME"):
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("faceverify", appauthor=False, roaming=False))


@dataclass(frozen=True)
class PersonSummary:
    """An enrolled person and how many crops they have of each role."""

    name: str
    anchors: int
    positives: int


def _image_name(png: bytes) -> str:
    """A crop's file name: a hash of its PNG bytes, so the same crop is stored once."""
    return f"{hashlib.sha256(png).hexdigest()[:20]}{IMAGE_SUFFIX}"


def read_crop(path: Path) -> np.ndarray:
    """A stored crop as 100x100x3 uint8 RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"stored crop {path} is unreadable")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_crops(paths: list[Path]) -> np.ndarray:
    """Stored crops stacked as (N, 100, 100, 3) uint8."""
    return np.stack([read_crop(p) for p in paths]) if paths else np.zeros((0, 100, 100, 3), np.uint8)


class Store:
    """All of faceverify's data under one folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_home()

    # -- locations (each checked: no link inside the home leads out of it, see confine.inside) ---------
    @property
    def people_dir(self) -> Path:
        return confine.inside(self.root, "people")

    @property
    def negatives_dir(self) -> Path:
        return confine.inside(self.root, "negatives")

    @property
    def model_path(self) -> Path:
        return confine.inside(self.root, "model", "siamese.keras")

    @property
    def calibration_path(self) -> Path:
        return confine.inside(self.root, "model", "calibration.json")

    @property
    def embeddings_dir(self) -> Path:
        return confine.inside(self.root, "model", "embeddings")

    @property
    def checkpoints_dir(self) -> Path:
        return confine.inside(self.root, "checkpoints")

    @property
    def results_dir(self) -> Path:
        return confine.inside(self.root, "results")

    @property
    def log_path(self) -> Path:
        return confine.inside(self.root, "logs", "faceverify.log")

    @property
    def settings_path(self) -> Path:
        return confine.inside(self.root, "settings.json")

    @property
    def audit_path(self) -> Path:
        return confine.inside(self.root, "audit.sqlite")

    def ensure(self) -> Store:
        """Create the home folder (owner-only) if it does not exist yet, or make an existing one owner-only."""
        if self.root.exists() and not self.root.is_dir():
            raise FaceverifyError(f"The home folder {self.root} is a file, not a folder: choose another --home")
        confine.owner_only(atomic.make_private_dir(self.root))
        return self

    # -- people --------------------------------------------------------------------------------
    def person_dir(self, name: str) -> Path:
        return confine.inside(self.root, "people", validate_name(name))

    def people(self) -> list[PersonSummary]:
        """Every enrolled person, sorted by name."""
        return [PersonSummary(n, len(self.images(n, "anchor")), len(self.images(n, "positive"))) for n in self.names()]

    def names(self) -> list[str]:
        """Every enrolled person's name, sorted as :meth:`people` (without counting images: one listing)."""
        if not self.people_dir.is_dir():
            return []
        return sorted((d.name for d in os.scandir(self.people_dir) if d.is_dir()), key=str.lower)

    def has_person(self, name: str) -> bool:
        return self.person_dir(name).is_dir()

    def require_person(self, name: str) -> Path:
        """The person's folder, or UnknownPersonError listing who is enrolled."""
        folder = self.person_dir(name)
        if not folder.is_dir():
            known = ", ".join(p.name for p in self.people()) or "nobody yet"
            raise UnknownPersonError(f"Unknown person {name!r} (enrolled: {known})")
        return folder

    def images(self, name: str, role: str) -> list[Path]:
        """Paths of a person's crops of one role, in a stable order."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        return confine.regular_files(confine.inside(self.root, "people", validate_name(name), role), IMAGE_SUFFIX)

    def find_image(self, name: str, pixels: np.ndarray) -> Path | None:
        """Where this very crop is already stored for the person (in either role), or None."""
        file_name = _image_name(encode_png(pixels))
        folder = self.person_dir(name)
        return next((p for r in ROLES if (p := confine.inside(folder, r, file_name)).is_file()), None)

    def image_path(self, name: str, role: str, pixels: np.ndarray) -> Path:
        """Where this crop is (or would be) stored for the person in that role."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        return confine.inside(self.person_dir(name), role, _image_name(encode_png(pixels)))

    def add_image(self, name: str, role: str, pixels: np.ndarray) -> Path:
        """Store one crop for a person (creating the person); identical crops are stored once."""
        path = self.image_path(name, role, pixels)
        if not path.exists():
            data = encode_png(pixels)
            self.ensure()
            atomic.make_private_dir(self.people_dir)
            atomic.write_bytes(path, data)
        return path

    def remove_image(self, path: Path) -> None:
        """Delete one stored crop (it must be a crop of an enrolled person, reached through no link)."""
        path, people = Path(os.path.abspath(path)), Path(os.path.abspath(self.people_dir))
        relative = path.relative_to(people) if path.is_relative_to(people) else None
        if relative is None or len(relative.parts) != 3 or relative.parts[1] not in ROLES:
            raise ValueError(f"{path} is not an enrolled image")
        confine.inside(self.root, "people", *relative.parts).unlink(missing_ok=True)

    def remove_caches(self, name: str) -> None:
        """Delete a person's cached embeddings of every model version (none reached through a link)."""
        name = validate_name(name)
        for version in confine.names(self.root, *EMBEDDINGS, folders=True):
            for cache in confine.names(self.root, *EMBEDDINGS, version):  # also under the name as typed (" Ada ")
                if cache.endswith(".npz") and cache[:-4].split("@")[0].strip() == name:  # <name>@look.npz too
                    confine.unlink(self.root, *EMBEDDINGS, version, cache)

    # -- LFW negatives ---------------------------------------------------------------------------
    def negative_path(self, person: str, file_name: str) -> Path:
        return confine.inside(self.root, "negatives", validate_name(person), Path(file_name).stem + IMAGE_SUFFIX)

    def add_negative(self, person: str, file_name: str, pixels: np.ndarray) -> Path:
        """Store one negative crop under its LFW identity."""
        path = self.negative_path(person, file_name)
        atomic.make_private_dir(self.negatives_dir)
        atomic.write_bytes(path, encode_png(pixels))
        return path

    def negatives(self) -> dict[str, list[Path]]:
        """Negative crops grouped by LFW identity."""
        if not self.negatives_dir.is_dir():
            return {}
        folders = sorted(confine.inside(self.root, "negatives", d.name) for d in self.negatives_dir.iterdir())
        folders = [d for d in folders if d.is_dir()]
        groups = {d.name: confine.regular_files(d, IMAGE_SUFFIX) for d in folders}
        return {name: paths for name, paths in groups.items() if paths}

    def negative_count(self) -> int:
        return sum(len(paths) for paths in self.negatives().values())

    # -- settings ---------------------------------------------------------------------------------
    def load_settings(self) -> dict:
        """Saved settings (thresholds, camera, ...) of the right types, see :mod:`settings`."""
        return settings.read(self.settings_path)

    def setting(self, key: str) -> object:
        """One saved setting of the right type and range, else its default (see :data:`settings.TABLE`)."""
        return settings.value(self.load_settings(), key)

    def save_settings(self, **changes: object) -> dict:
        """Merge ``changes`` into the saved settings (a value of None removes the key), atomically; SettingError
        for a value of the wrong type or out of range."""
        for key, new in changes.items():
            settings.check(key, new)  # before the home is created
        self.ensure()
        return settings.update(self.settings_path, changes)

    # -- the model's files ------------------------------------------------------------------------
    def has_own_model(self) -> bool:
        """Whether this home has a model of its own (else verification uses the shipped generic model)."""
        return self.model_path.is_file()
