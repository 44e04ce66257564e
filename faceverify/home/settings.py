"""The settings file (``HOME/settings.json``): what the user chose (thresholds, camera, crop logging, liveness,
the folder file dialogs open in).

A file written by hand may hold anything; a known setting of the wrong type (``"log_failed_crops": "false"``)
is left out, so that it falls back to its default, never to what the wrong type would mean to Python
(the string "false" is true).
"""
from __future__ import annotations

import json
from pathlib import Path

from faceverify.files import atomic

TYPES: dict[str, tuple[type, ...]] = {
    "detection_threshold": (int, float), "verification_threshold": (int, float),
    "log_failed_crops": (bool,), "camera": (int, str),
    "liveness": (bool,), "liveness_prompts": (int,), "liveness_seconds": (int, float),
    "last_folder": (str,),
}


def type_ok(key: str, value: object) -> bool:
    """Whether a setting has its type (unknown keys pass; a bool is no number)."""
    types = TYPES.get(key)
    return types is None or (isinstance(value, types) and (bool in types or not isinstance(value, bool)))


def read(path: Path) -> dict:
    """The saved settings of the right types; an unreadable file, or one that is not an object, counts as empty."""
    try:
        settings = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(settings, dict):
        return {}
    return {key: value for key, value in settings.items() if type_ok(key, value)}


def update(path: Path, changes: dict) -> dict:
    """Merge ``changes`` into the saved settings (a value of None removes the key), atomically; returns them."""
    settings = {k: v for k, v in (read(path) | changes).items() if v is not None}
    atomic.write_text(path, json.dumps(settings, indent=2, sort_keys=True))
    return settings
