"""A result on the Verify tab, and a failed liveness check's reason, stay until the next action (Verify, another
person, another camera, live mode); live mode and the banner never contradict each other; Enter verifies."""
import cv2
import numpy as np
from PySide6.QtCore import Qt

from faceverify.gui import jobs
from faceverify.gui.qt_compat import emit
from faceverify.home.store import Store
from faceverify.liveness.live_challenge import LivenessResult
from faceverify.verification.levels import LEVELS
from faceverify.verification.rule import decide

from .conftest import face_video

WAIT_MS = 15_000


def _show_result(tab, verified: bool = True) -> None:
    """What a finished Verify shows (the scoring itself is tested with a real model elsewhere)."""
    scores = np.array([0.9, 0.8, 0.7] if verified else [0.1, 0.2, 0.3])
    decision = decide("Colin_Powell", scores, 0.5, 0.5, "v1")
    tab._show_outcome(jobs.VerifyOutcome(decision, 0.4, 5, 5))
    assert tab.banner.property("state") == ("yes" if verified else "no")


def _noise_video(path, frames: int = 30):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (120, 160, 3), np.uint8))
    writer.release()
    return path


def test_a_result_and_its_reason_stay_until_the_next_action(open_gui, qtbot, tmp_path, home):
    store = Store(home).ensure()
    for name in ("Colin_Powell", "Ada"):
        for role in ("anchor", "positive"):
            store.add_image(name, role, np.full((100, 100, 3), len(name), np.uint8))
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    store.model_path.write_bytes(b"not loaded by this test")
    window = open_gui(_noise_video(tmp_path / "noise.avi", 150))  # no face in view: the result stays all the same
    tab = window.verify_tab
    qtbot.waitUntil(lambda: window.context.feed.live, timeout=WAIT_MS)
    tab.person.setCurrentText("Colin_Powell")
    failed = LivenessResult(True, False, "You did not turn your head to your left in time")
    tab._show_outcome(jobs.VerifyOutcome(None, 6.2, 40, 38, failed))
    qtbot.wait(6_000)  # longer than the 5 s a result used to last
    assert tab.banner.property("state") == "no" and failed.reason in tab.banner.text()
    _show_result(tab)
    emit(window.context.people_changed)  # the same person chosen again: no change
    assert tab.banner.property("state") == "yes" and tab.details["Mean score"].text() == "0.800"
    tab.person.setCurrentText("Ada")  # the next action: another person
    assert tab.banner.property("state") == "idle" and tab.details["Mean score"].text() == ""


def test_a_result_clears_when_the_camera_changes(open_gui, qtbot, tmp_path, lfw_dir):
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    qtbot.waitUntil(lambda: window.context.feed.live, timeout=WAIT_MS)
    _show_result(tab)
    window.context.use_camera(97)
    assert tab.banner.property("state") == "idle"


def test_live_mode_takes_the_banner_and_locks_verify(open_gui, qtbot, tmp_path, lfw_dir):
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    _show_result(tab)
    tab.live.setChecked(True)
    assert tab.banner.property("state") == "idle" and "Live mode is on" in tab.banner.text()
    assert not tab.verify_button.isEnabled()
    tab.live.setChecked(False)
    assert tab.verify_button.isEnabled() and "Enter" in tab.verify_button.text()


def test_enter_verifies(open_gui, qtbot, tmp_path, lfw_dir, home, monkeypatch):
    store = Store(home).ensure()
    for role in ("anchor", "positive"):
        store.add_image("Colin_Powell", role, np.zeros((100, 100, 3), np.uint8))
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    store.model_path.write_bytes(b"not loaded by this test")
    asked = []

    def verify_burst(task, context, name, detection, verification):  # the scoring is tested with a real model
        asked.append((name, detection))  # the level in force: the verifier sets the person's threshold for it
        return jobs.VerifyOutcome(decide(name, np.array([0.9, 0.8]), 0.5, verification, "v1", detection.name),
                                  0.3, 5, 5)

    monkeypatch.setattr(jobs, "verify_burst", verify_burst)
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    assert tab.verify_box.isVisible()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # shortcuts work in the active window only
    tab.person.setFocus()
    qtbot.keyClick(tab.person, Qt.Key_Return)
    qtbot.waitUntil(lambda: tab.banner.property("state") == "yes", timeout=WAIT_MS)
    assert asked == [("Colin_Powell", LEVELS["standard"])]
