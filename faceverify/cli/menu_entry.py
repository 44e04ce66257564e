"""The desktop menu entry and icon of this installation (freedesktop.org desktops: Linux): installed with the
interpreter that runs this command, so that a virtual environment's faceverify starts from the menu too, and
removed again. No Qt: the files are written as they are."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import platformdirs

from faceverify.errors import FaceverifyError
from faceverify.model.shipped import asset_dir

DESKTOP_FILE = "faceverify.desktop"
ICON_FILE = "faceverify.png"


def _data_dir() -> Path:
    if not sys.platform.startswith("linux"):
        raise FaceverifyError("A menu entry is made on Linux desktops only (freedesktop.org); elsewhere start "
                              f"faceverify with: {sys.executable} -m faceverify gui")
    return platformdirs.user_data_path()  # $XDG_DATA_HOME, else ~/.local/share


def entry_path() -> Path:
    return _data_dir() / "applications" / DESKTOP_FILE


def icon_path() -> Path:
    return _data_dir() / "icons" / "hicolor" / "256x256" / "apps" / ICON_FILE


def quote(argument: str) -> str:
    """An Exec argument as the Desktop Entry Specification quotes it (only when it needs quoting)."""
    if argument and not any(c in argument for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def command(home: Path | None) -> list[str]:
    """What the entry runs: this interpreter's faceverify, on ``home`` when one was given."""
    return [sys.executable, "-m", "faceverify", *(["--home", str(Path(home).resolve())] if home else []), "gui"]


def install(home: Path | None = None) -> tuple[Path, Path, list[str]]:
    """Write the menu entry and its icon for this installation; returns their paths and the command it runs."""
    entry, icon = entry_path(), icon_path()
    template = (asset_dir() / DESKTOP_FILE).read_text("utf-8")
    run = command(home)
    lines = [f"Exec={' '.join(quote(part) for part in run)}" if line.startswith("Exec=") else
             f"Icon={icon}" if line.startswith("Icon=") else line for line in template.splitlines()]
    for path in (entry, icon):
        path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(asset_dir() / ICON_FILE, icon)
    entry.write_text("\n".join(lines) + "\n", "utf-8")  # public files, like every menu entry: no personal data
    return entry, icon, run


def remove() -> list[Path]:
    """Delete the menu entry and the icon this command installed; returns those that were there."""
    removed = [path for path in (entry_path(), icon_path()) if path.is_file()]
    for path in removed:
        path.unlink()
    return removed
