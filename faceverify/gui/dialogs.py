"""The window's questions: a destructive action asks once, with the safe choice as the default; file dialogs open
in the folder used last (remembered in the settings), else in the user's home folder, never in the program's."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from faceverify.gui.context import AppContext


def confirmation(parent: QWidget, title: str, text: str, action: str) -> QMessageBox:
    """The question whether to do a destructive ``action`` (the button's words); Cancel is the default and Esc."""
    box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.NoButton, parent)
    box.addButton(action, QMessageBox.DestructiveRole)
    cancel = box.addButton(QMessageBox.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask once (see :func:`confirmation`); whether the action was chosen."""
    box = confirmation(parent, title, text, action)
    box.exec()
    chosen = box.clickedButton()
    return chosen is not None and box.buttonRole(chosen) == QMessageBox.DestructiveRole


def start_folder(context: AppContext) -> Path:
    """The folder a file dialog opens in: the last one used if it is still there, else the user's home folder."""
    last = context.store.load_settings().get("last_folder")
    return Path(last) if last and Path(last).is_dir() else Path.home()


def _remember(context: AppContext, chosen: str, folder: bool = False) -> Path | None:
    if not chosen:
        return None
    path = Path(chosen)
    context.store.save_settings(last_folder=str(path if folder else path.parent))
    return path


def open_file(parent: QWidget, context: AppContext, title: str, filters: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(context)), filters)
    return _remember(context, path)


def open_folder(parent: QWidget, context: AppContext, title: str) -> Path | None:
    return _remember(context, QFileDialog.getExistingDirectory(parent, title, str(start_folder(context))), True)


def save_file(parent: QWidget, context: AppContext, title: str, name: str, filters: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder(context) / name), filters)
    return _remember(context, path)
