"""The settings file (``HOME/settings.json``): every setting in one typed table, read and written only through it.

:data:`TABLE` says, for each key, its type, its default, its range and who may change it (the operator, or the end
user at the locked window). A file written by hand may hold anything: a value of the wrong type or out of range
(``"log_failed_crops": "false"``, which Python would take as true) is read as the default; a file that is not
JSON, too large or too deep counts as empty. Writing a wrong value is refused (:class:`SettingError`). To add a
setting, add one line to :data:`TABLE`, and read it with :func:`value` (or ``Store.setting``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from faceverify.errors import FaceverifyError
from faceverify.files import atomic
from faceverify.files.inputs import load_json

OPERATOR, USER = "operator", "user"  # who may change a setting


class SettingError(FaceverifyError):
    """A setting given a value of the wrong type or out of its range."""


@dataclass(frozen=True)
class Setting:
    """One setting: its types (a bool is never a number), default, range (numbers: inclusive; text: length) and who
    may change it."""

    types: tuple[type, ...]
    default: object = None
    range: tuple[float, float] | None = None
    who: str = OPERATOR

    def accepts(self, value: object) -> bool:
        if not isinstance(value, self.types) or (isinstance(value, bool) and bool not in self.types):
            return False
        if self.range is not None and isinstance(value, (int, float, str)):
            measure = len(value) if isinstance(value, str) else value
            if not self.range[0] <= measure <= self.range[1]:
                return False
        return True


_NUMBER = (int, float)
TABLE: dict[str, Setting] = {
    "detection_threshold": Setting(_NUMBER, None, (0.0, 1.0)),  # None: the model's calibrated one
    "verification_threshold": Setting(_NUMBER, None, (0.0, 1.0)),
    "log_failed_crops": Setting((bool,), False),
    "security_level": Setting((str,), "standard", (1, 16)),  # verification/levels.py: standard, high or custom
    "last_folder": Setting((str,), None, (1, 4096), USER),  # where the file dialogs open next
    "camera": Setting((int, str), 0, (0, 4096)),  # a device index, file, image sequence or stream URL
    "liveness": Setting((bool,), True),
    "liveness_prompts": Setting((int,), 2, (1, 5)),  # head turns asked for
    "liveness_seconds": Setting(_NUMBER, 6.0, (3.0, 30.0)),  # time allowed for each
    "train_epochs": Setting((int,), 50, (1, 1000)),  # the Train button's options, remembered
    "train_fine_tune": Setting((bool,), True),
    # the password's salted hash: any value counts as set (a damaged one keeps the window locked; see operator.py)
    "operator_password": Setting((dict, list, str, int, float, bool), None),
}


def _saved(path: Path) -> dict:
    """Everything the file holds (unknown keys included, for a newer faceverify); {} where it is unreadable."""
    try:
        saved = load_json(path, str(path), {"type": "object"})
    except (FaceverifyError, OSError):
        return {}
    return saved


def read(path: Path) -> dict:
    """The saved settings that :data:`TABLE` knows and accepts; a missing or damaged file counts as empty."""
    return _known(_saved(path))


def _known(saved: dict) -> dict:
    return {key: found for key, found in saved.items() if key in TABLE and TABLE[key].accepts(found)}


def value(settings: dict, key: str) -> object:
    """``key``'s value in ``settings`` where the table accepts it, else its default."""
    found = settings.get(key)
    return found if found is not None and TABLE[key].accepts(found) else TABLE[key].default


def check(key: str, new: object) -> None:
    """SettingError unless ``new`` is a value ``key`` accepts (None: back to the default); KeyError for a key that
    is not in the table (a programming error)."""
    setting = TABLE[key]
    if new is not None and not setting.accepts(new):
        bounds = f" between {setting.range[0]:g} and {setting.range[1]:g}" if setting.range else ""
        kinds = " or ".join(t.__name__ for t in setting.types)
        raise SettingError(f"The setting {key} takes a {kinds}{bounds}, not {json.dumps(new)[:60]}")


def update(path: Path, changes: dict) -> dict:
    """Merge ``changes`` into the saved settings (a value of None removes the key), atomically; returns them."""
    for key, new in changes.items():
        check(key, new)
    saved = {k: v for k, v in (_saved(path) | changes).items() if v is not None}
    atomic.write_text(path, json.dumps(saved, indent=2, sort_keys=True))
    return _known(saved)
