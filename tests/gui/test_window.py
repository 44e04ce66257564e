"""The window without a trained model: camera states, first run, errors a user can cause, people, log, settings."""
import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from faceverify.faces.pipeline import prepare_file
from faceverify.files import atomic
from faceverify.gui import app, qt_compat, screenshots
from faceverify.gui.qt_compat import emit
from faceverify.home.audit import AuditEntry, AuditLog
from faceverify.home.store import Store
from faceverify.model.current import save_calibration
from helpers import lfw_images

from .conftest import face_video

WAIT_MS = 15000


def _entry(person: str, verified: bool) -> AuditEntry:
    return AuditEntry("verify", person, verified, 0.8 if verified else 0.1, 0.7, 0.5, 0.5, "v1", "cli", "probe.jpg")


def _enroll_fake(home, name: str, images: int = 3) -> None:
    store = Store(home)
    rng = np.random.default_rng(len(name))
    for role in ("anchor", "positive"):
        for _ in range(images):
            store.add_image(name, role, rng.integers(0, 255, (100, 100, 3), np.uint8))


def test_no_camera_says_so_and_first_run_explains_the_steps(open_gui, qtbot):
    window = open_gui(97)
    view = window.verify_tab.view
    qtbot.waitUntil(lambda: "No camera at index 97" in view.message.text(), timeout=WAIT_MS)
    assert view.overlay.isVisible()
    assert view.frames_shown == 0
    assert "no picture" in window.camera_status.text()
    assert window.model_status.text() == "No model yet"
    guide = window.verify_tab.guide
    assert guide.isVisible() and not window.verify_tab.verify_box.isVisible()
    assert [mark.text() for mark in guide.marks] == ["1", "2", "3"]


def test_video_file_shows_frames_with_a_face_box(open_gui, qtbot, tmp_path, lfw_dir):
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    view = window.verify_tab.view
    qtbot.waitUntil(lambda: view.frames_shown >= 5 and view.last_box is not None, timeout=WAIT_MS)
    x, y, w, h = view.last_box
    assert w > 40 and h > 40
    assert not view.overlay.isVisible()
    assert not view.grab().isNull()
    qtbot.waitUntil(lambda: "fps" in window.camera_status.text() and "face.avi" in window.camera_status.text())
    assert Store(window.context.store.root).load_settings()["camera"] == str(tmp_path / "face.avi")


def test_camera_is_picked_up_when_it_comes_back(open_gui, qtbot, tmp_path, lfw_dir):
    later = tmp_path / "later.avi"
    window = open_gui(later)
    view = window.verify_tab.view
    qtbot.waitUntil(lambda: "File not found" in view.message.text(), timeout=WAIT_MS)
    face_video(lfw_dir, later)
    qtbot.waitUntil(lambda: view.frames_shown >= 3, timeout=WAIT_MS)
    assert not view.overlay.isVisible()


def test_invalid_name_shows_the_reason_and_captures_nothing(open_gui, qtbot):
    window = open_gui(97)
    tab = window.enroll_tab
    tab.person.setEditText("../evil")
    assert tab.name_message.property("role") == "error"
    assert "Invalid name" in tab.name_message.text()
    qtbot.mouseClick(tab.anchor_button, Qt.LeftButton)
    assert tab.busy_task is None
    assert not (window.context.store.people_dir / "evil").exists()


def test_capture_without_camera_reports_it(open_gui, qtbot, monkeypatch):
    monkeypatch.setattr("faceverify.gui.jobs.FRAME_TIMEOUT", 0.5)
    window = open_gui(97)
    tab = window.enroll_tab
    tab.person.setEditText("Ada")
    tab.capture_anchor()
    qtbot.waitUntil(lambda: tab.busy_task is None, timeout=WAIT_MS)
    assert "No frames from camera 97" in tab.capture_message.text()
    assert tab.capture_message.property("role") == "error"


def test_a_burst_says_how_many_frames_repeated_an_image_already_stored(open_gui, qtbot, monkeypatch):
    face = prepare_file(lfw_images("Colin_Powell", 1)[0])

    class RepeatingCamera:  # sends the same picture again and again (a stalled or virtual camera)
        def require_frame(self, after, timeout):
            return SimpleNamespace(index=(after or 0) + 1, face=face, rgb=face.pixels)

    window = open_gui(97)
    monkeypatch.setattr(window.context.feed, "current", RepeatingCamera)
    tab = window.enroll_tab
    tab.person.setEditText("Ada")
    tab.burst.setChecked(True)
    tab.burst_size.setValue(3)
    tab.capture_anchor()
    qtbot.waitUntil(lambda: tab.busy_task is None, timeout=WAIT_MS)
    assert len(window.context.store.images("Ada", "anchor")) == 1
    assert tab.capture_message.text() == ("Captured 1 new image (2 frames repeated an image already stored: not "
                                          "stored twice).")
    tab.capture_anchor()
    qtbot.waitUntil(lambda: tab.busy_task is None, timeout=WAIT_MS)
    assert tab.capture_message.property("role") == "error"
    assert tab.capture_message.text().startswith("Captured 0 new images (3 frames repeated")


def test_bad_image_folder_shows_the_reason(open_gui, qtbot, tmp_path):
    window = open_gui(97)
    tab = window.enroll_tab
    empty = tmp_path / "empty"
    empty.mkdir()
    tab.person.setEditText("Ada")
    tab.enroll_folder("Ada", empty)
    qtbot.waitUntil(lambda: tab.busy_task is None, timeout=WAIT_MS)
    assert "No images" in tab.capture_message.text()
    assert tab.anchor_button.isEnabled()


def test_thresholds_are_saved(open_gui, qtbot, home):
    window = open_gui(97)
    window.verify_tab.detection.slider.setValue(700)
    window.verify_tab.verification.slider.setValue(355)
    settings = home / "settings.json"
    qtbot.waitUntil(lambda: "detection_threshold" in json.loads(settings.read_text()), timeout=WAIT_MS)
    saved = json.loads(settings.read_text())
    assert saved["detection_threshold"] == 0.7 and saved["verification_threshold"] == 0.355  # steps of 0.001


def test_a_new_model_brings_its_calibrated_thresholds(open_gui, qtbot, home):
    window, store = open_gui(97), Store(home)
    tab = window.verify_tab
    tab.detection.slider.setValue(700)
    qtbot.waitUntil(lambda: store.load_settings().get("detection_threshold") == 0.7, timeout=WAIT_MS)
    atomic.write_bytes(store.model_path, b"stands for a model: the window only looks at the file")
    save_calibration(store, {"detection_threshold": 0.016, "verification_threshold": 0.5})
    window.context.check_model()
    assert tab.detection.value() == 0.016 and "detection_threshold" not in store.load_settings()
    assert tab.detection.value_label.text() == "0.016"
    tab.detection.slider.setValue(800)
    qtbot.waitUntil(lambda: store.load_settings().get("detection_threshold") == 0.8, timeout=WAIT_MS)
    qtbot.mouseClick(tab.model_thresholds, Qt.LeftButton)
    assert tab.detection.value() == 0.016 and "detection_threshold" not in store.load_settings()


def test_log_lists_attempts_newest_first(open_gui, home):
    Store(home).ensure()
    with AuditLog(Store(home).audit_path) as log:
        log.record(_entry("Ada", True))
        log.record(_entry("Grace", False))
    window = open_gui(97)
    window.tabs.setCurrentWidget(window.log_view)
    table = window.log_view.table
    assert table.rowCount() == 2
    assert [table.cell(0, 1), table.cell(0, 2)] == ["Grace", "NOT VERIFIED"]
    assert [table.cell(1, 1), table.cell(1, 2)] == ["Ada", "VERIFIED"]


def test_an_attempt_the_model_could_not_decide_is_listed_as_an_error(open_gui, home):
    from dataclasses import replace

    Store(home).ensure()
    with AuditLog(Store(home).audit_path) as log:
        log.record(replace(_entry("Ada", False), error="the model is damaged"))
    window = open_gui(97)
    window.tabs.setCurrentWidget(window.log_view)
    assert window.log_view.table.cell(0, 2) == "ERROR: the model is damaged"


def test_removing_a_person_asks_once_with_cancel_as_default_then_removes_images_and_log_entries(
        open_gui, qtbot, home, confirmations):
    for name in ("Ada", "Grace"):
        _enroll_fake(home, name)
    with AuditLog(Store(home).audit_path) as log:
        log.record(_entry("Ada", True))
        log.record(_entry("Grace", True))
    window = open_gui(97)
    people = window.people_view
    assert [people.table.cell(row, 0) for row in range(people.table.rowCount())] == ["Ada", "Grace"]
    people.table.selectRow(0)
    confirmations.answer = False
    people.remove_selected()
    assert confirmations.asked == [("Remove person", "Cancel", ["Cancel", "Remove Ada"])]
    assert people.table.rowCount() == 2, "Cancel removes nobody"
    confirmations.answer = True
    people.remove_selected()
    qtbot.waitUntil(lambda: people.table.rowCount() == 1, timeout=WAIT_MS)
    assert len(confirmations.asked) == 2, "asked once per removal"
    assert people.table.cell(0, 0) == "Grace"
    assert [e.person for e in window.context.audit.recent()] == ["Grace"]
    assert people.message.text() == "Removed Ada: their images and 1 audit log entry about them."
    window.tabs.setCurrentWidget(window.log_view)
    assert window.log_view.table.rowCount() == 1
    window.tabs.setCurrentWidget(people)
    _enroll_fake(home, "Hedy")
    emit(window.context.people_changed)
    people.table.selectRow(1)
    people.remove_selected()
    qtbot.waitUntil(lambda: people.table.rowCount() == 1, timeout=WAIT_MS)
    assert people.message.text() == "Removed Hedy: their images. The audit log had no entries about them."


def test_enrolled_without_model_shows_the_guide(open_gui, home):
    _enroll_fake(home, "Ada")
    window = open_gui(97)
    tab = window.verify_tab
    assert tab.guide.isVisible()
    assert [mark.text() for mark in tab.guide.marks] == ["✓", "2", "3"]


@pytest.mark.slow
def test_damaged_model_gives_a_clear_message(open_gui, qtbot, home, tmp_path, lfw_dir):
    _enroll_fake(home, "Ada")
    Store(home).model_path.parent.mkdir(parents=True)
    Store(home).model_path.write_bytes(b"not a model")
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    assert tab.verify_box.isVisible() and not tab.guide.isVisible()
    tab.person.setCurrentText("Ada")
    qtbot.mouseClick(tab.verify_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.banner.property("state") == "error", timeout=60000)
    assert "damaged or not a faceverify model" in tab.banner.text()
    assert tab.verify_button.isEnabled()


def test_screenshot_command_saves_every_tab(qtbot, home, tmp_path, lfw_dir):
    camera = face_video(lfw_dir, tmp_path / "face.avi")
    assert screenshots.main([str(tmp_path / "shots"), "--camera", str(camera), "--home", str(home), "--person", "Ada",
                             "--locked", "shot-secret"]) == 0
    names = sorted(p.name for p in (tmp_path / "shots").glob("*.png"))
    assert names == ["1-verify.png", "2-enroll-and-train.png", "3-people.png", "4-log.png", "5-end-user-view.png",
                     "7-operator-password.png", "8-remove-question.png", "9-verify-operator-controls.png"]
    assert Store(home).people() == [], "the question was shot, nobody removed"


def test_main_opens_the_window_without_loading_tensorflow(home):
    """`main(["--camera", ..., "--home", ...])` runs until the window closes; without a model to load in the
    background, TensorFlow stays unloaded."""
    script = f"""
import sys
from PySide6.QtCore import QTimer
from faceverify.model import shipped
from faceverify.gui import qt_compat
from faceverify.gui.app import application, main
qt_compat._STEALS_NONE = False  # lives 1.5 s, too short for the leak to matter (refusing it has its own test)
shipped.available = lambda: False  # no model at all: nothing to load in the background
app = application()
QTimer.singleShot(1500, app.closeAllWindows)
status = main(["--camera", "97", "--home", {str(home)!r}])
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print("status", status, "heavy", heavy, "windows", len(app.topLevelWidgets()))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "status 0 heavy []" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0
    assert Store(home).load_settings()["camera"] == 97


def test_main_refuses_a_pyside6_that_loses_references_to_none(home, monkeypatch):
    shown = []
    monkeypatch.setattr(qt_compat, "_STEALS_NONE", True)
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    assert app.main(["--camera", "97", "--home", str(home)]) == 1
    assert len(shown) == 1 and "Reinstall faceverify" in shown[0]
    assert not Store(home).settings_path.exists(), "nothing was opened"


def test_new_person_message_goes_once_they_exist(open_gui, home):
    window = open_gui(97)
    tab = window.enroll_tab
    tab.person.setEditText("Ada")
    assert tab.name_message.text() == "New person: the first capture creates them."
    _enroll_fake(home, "Ada", images=1)
    emit(window.context.people_changed)
    assert tab.name_message.text() == "Enrolled person."


def test_lfw_import_shows_progress_and_the_count(open_gui, qtbot, tmp_path, lfw_dir):
    for person in ("Aaron_Eckhart", "Abba_Eban", "Adam_Sandler"):
        (tmp_path / "lfw" / person).mkdir(parents=True)
        for image in sorted((lfw_dir / person).glob("*.jpg"))[:2]:
            shutil.copy(image, tmp_path / "lfw" / person / image.name)
    window = open_gui(97)
    box = window.enroll_tab.negatives
    qtbot.waitUntil(lambda: box.count.text() == "No negatives yet", timeout=WAIT_MS)
    box.start_import(tmp_path / "lfw")
    assert box.count.text() == "Importing negatives…", "no stale 'No negatives yet' during the import"
    qtbot.waitUntil(lambda: box.task is None, timeout=WAIT_MS)
    assert box.status.text().startswith("Added "), box.status.text()
    qtbot.waitUntil(lambda: box.count.text().endswith("negative images"), timeout=WAIT_MS)
    assert window.context.store.negative_count() == int(box.count.text().split()[0])
    assert window.verify_tab.guide.marks[1].text() == "✓"


@pytest.mark.parametrize("devices, message", [
    ([0, 2], "Cameras found: 0, 2"),
    ([], "No camera found (devices 0 to 5 were tried)"),
])
def test_find_cameras_says_what_it_found(open_gui, qtbot, monkeypatch, devices, message):
    monkeypatch.setattr("faceverify.gui.jobs.list_devices", lambda: devices)  # the machine's own cameras vary
    window = open_gui(97)
    window.picker.search()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=WAIT_MS)
    combo = window.picker.combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Camera 97", *(f"Camera {d}" for d in devices)]
    assert combo.itemText(combo.currentIndex()) == "Camera 97"


def test_the_train_box_offers_the_default_recipe_and_fine_tuning_once_there_is_a_model(open_gui, home):
    from faceverify.training.config import TrainingConfig

    box = open_gui(97).enroll_tab.trainer
    assert box.epochs.value() == TrainingConfig().epochs
    assert not box.fine_tune.isEnabled() and not box.fine_tune.isChecked()
    atomic.write_bytes(Store(home).model_path, b"stands for a model")
    box.context.check_model()
    assert box.fine_tune.isEnabled() and box.fine_tune.isChecked()


def test_the_source_dialog_starts_with_the_current_source(open_gui, monkeypatch):
    window = open_gui(97)
    offered = []

    def get_text(parent, title, prompt, text=""):
        offered.append(text)
        return "", False

    monkeypatch.setattr("faceverify.gui.camera_picker.QInputDialog.getText", get_text)
    window.picker.enter_source()
    assert offered == ["97"]


def test_the_window_fits_a_1366_by_768_screen_and_ctrl_q_quits(open_gui, qtbot):
    window = open_gui(97)
    for tab in (window.verify_tab, window.enroll_tab, window.people_view, window.log_view):
        window.tabs.setCurrentWidget(tab)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 768 - 70, (tab, hint)  # title bar and panel: 70 px
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)


def test_the_window_has_the_app_icon(open_gui):
    window = open_gui(97)
    assert app.icon_path().is_file() and not window.windowIcon().isNull()
    assert "Icon=faceverify" in (app.icon_path().parent / "faceverify.desktop").read_text()


def test_switching_to_enroll_puts_the_focus_in_the_name_field(open_gui, qtbot):
    window = open_gui(97)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.enroll_tab)
    qtbot.waitUntil(lambda: window.enroll_tab.person.hasFocus() or window.enroll_tab.person.lineEdit().hasFocus(),
                    timeout=WAIT_MS)
