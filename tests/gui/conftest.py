"""GUI tests run without a display; each opens the window over its own data folder in tmp_path.

Cameras are made of real LFW images (the ``lfw_dir`` fixture of tests/conftest.py skips where they are absent).
"""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from faceverify.gui.app import open_window  # noqa: E402
from faceverify.gui.main_window import MainWindow  # noqa: E402
from faceverify.model import shipped  # noqa: E402


def image_sequence(lfw_dir: Path, folder: Path, person: str, count: int) -> str:
    """A camera made of the first ``count`` images of an LFW person: ``folder/%04d.jpg``."""
    folder.mkdir(parents=True)
    for number, image in enumerate(sorted((lfw_dir / person).glob("*.jpg"))[:count]):
        shutil.copy(image, folder / f"{number:04d}.jpg")
    return str(folder / "%04d.jpg")


def face_video(lfw_dir: Path, path: Path, person: str = "Colin_Powell", frames: int = 20) -> Path:
    """An MJPG .avi at 10 fps showing LFW images of ``person``, one per frame."""
    images = [cv2.imread(str(p)) for p in sorted((lfw_dir / person).glob("*.jpg"))[:frames]]
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (width, height))
    assert writer.isOpened()
    for image in images:
        writer.write(image)
    writer.release()
    return path


@pytest.fixture(autouse=True)
def no_shipped_model(monkeypatch):
    """The window as a checkout without the shipped generic model shows it (whatever this machine has installed);
    a test about the shipped model patches ``shipped.available`` back."""
    monkeypatch.setattr(shipped, "available", lambda: False)
    monkeypatch.setattr(shipped, "version", lambda: None)
    monkeypatch.setattr(shipped, "calibration", lambda: {})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def open_gui(qtbot, home):
    """Open the window on a camera source; it is closed (camera and threads released) when the test ends."""
    windows = []

    def open_(camera: object) -> MainWindow:
        window = open_window(str(camera), home)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()


class Confirmations:
    """The questions the ``confirmations`` fixture answered: (title, default button, buttons sorted) each."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, list[str]]] = []
        self.answer = True  # click the destructive action; False: Cancel


@pytest.fixture
def confirmations(monkeypatch) -> Confirmations:
    """Answer every confirmation (gui.dialogs.confirm) without showing it, recording what was asked."""
    answers = Confirmations()

    def exec_(box: QMessageBox) -> int:
        answers.asked.append((box.windowTitle(), box.defaultButton().text(), sorted(b.text() for b in box.buttons())))
        role = QMessageBox.DestructiveRole if answers.answer else QMessageBox.RejectRole
        next(b for b in box.buttons() if box.buttonRole(b) == role).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return answers
