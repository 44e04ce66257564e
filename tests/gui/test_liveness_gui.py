"""The liveness challenge in the window: Verify shows its prompts over the live view with a countdown, a photo held
up to the camera times out with the message, and Cancel stops it. The camera is a video of a photo attack made from
an enrolled person's LFW photo; the model is set as in test_liveness_cli (only whether anything is scored matters)."""
import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from faceverify.faces.pipeline import prepare, prepare_file, read_image
from faceverify.home.store import Store
from faceverify.model.network import save_model
from liveness_scenes import photo_attack
from siamese_fixtures import calibrated_siamese

PERSON = "Aaron_Peirsol"
WAIT_MS = 60_000


@pytest.fixture
def attack_camera(home, lfw_dir, tmp_path) -> str:
    """A home with PERSON enrolled, a model, a 3 s time per prompt; and a 20 s video of their photo moved about."""
    paths = sorted((lfw_dir / PERSON).glob("*.jpg"))[:3]
    crops = np.stack([prepare_file(path).pixels for path in paths])
    store = Store(home).ensure()
    for role in ("anchor", "positive"):
        for crop in crops:
            store.add_image(PERSON, role, crop)
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(calibrated_siamese(crops, seed=2, identical_only=True), store.model_path)
    store.save_settings(liveness_seconds=3)
    photo = read_image(paths[0])
    frames = photo_attack(photo, prepare(photo).landmarks.points, "moved", seconds=20, seed=4)
    path = tmp_path / "attack.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def _start(open_gui, qtbot, camera):
    window = open_gui(camera)
    tab = window.verify_tab
    qtbot.waitUntil(lambda: tab.view.frames_shown >= 3 and window.context.feed.live, timeout=WAIT_MS)
    tab.person.setCurrentText(PERSON)
    qtbot.mouseClick(tab.verify_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.prompt.isVisible(), timeout=WAIT_MS)
    return window, tab


def test_prompts_count_down_over_the_view_and_a_photo_times_out(open_gui, qtbot, attack_camera):
    window, tab = _start(open_gui, qtbot, attack_camera)
    seen = set()
    tab._verify_task.progressed.connect(lambda status: seen.add(status.instruction))
    assert tab.prompt.parentWidget() is tab.view
    countdowns = []
    tab._verify_task.progressed.connect(lambda status: countdowns.append((status.answered, status.countdown())))
    qtbot.waitUntil(lambda: "s left · turn 1 of 2" in tab.prompt.countdown.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=WAIT_MS)
    assert any(text.startswith("Turn your head to your") for text in seen), seen
    assert not tab.prompt.isVisible() and tab.banner.property("state") == "no"
    seconds = [int(text.split()[0]) for answered, text in countdowns if text and answered == 0]
    assert seconds and seconds == sorted(seconds, reverse=True), f"a countdown only counts down: {countdowns}"
    assert "You did not turn your head to your" in tab.banner.text() and "in time" in tab.banner.text()
    entry = window.context.audit.recent(1)[0]
    assert (entry.liveness, entry.verified, entry.source) == ("failed", False, "gui")


def test_cancel_stops_the_challenge(open_gui, qtbot, attack_camera):
    window, tab = _start(open_gui, qtbot, attack_camera)
    qtbot.mouseClick(tab.prompt.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=WAIT_MS)
    assert not tab.prompt.isVisible() and "The check was cancelled" in tab.banner.text()
