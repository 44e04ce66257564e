"""Enroll a person from a camera, import negatives, train one epoch and verify: all through the window."""
import pytest
from PySide6.QtCore import Qt

from faceverify.enrollment import import_lfw
from faceverify.gui.qt_compat import emit

from .conftest import image_sequence

NEGATIVE_PEOPLE = {
    "Aaron_Eckhart", "Abba_Eban", "Adam_Sandler", "Adrien_Brody", "Al_Gore", "Alan_Greenspan",
    "Albert_Costa", "Ali_Naimi", "Alvaro_Uribe", "Amelie_Mauresmo", "Andre_Agassi", "Angela_Bassett",
}
BURST = 8
TRAIN_MS = 240_000


def _capture(qtbot, tab, button) -> None:
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.busy_task is None, timeout=30_000)


def _verify(qtbot, tab) -> str:
    qtbot.mouseClick(tab.verify_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=120_000)
    assert tab.banner.property("state") in ("yes", "no"), tab.banner.text()
    return tab.banner.text()


@pytest.mark.slow
def test_enroll_train_verify(open_gui, qtbot, tmp_path, lfw_dir):
    window = open_gui(image_sequence(lfw_dir, tmp_path / "powell", "Colin_Powell", 20))
    context, enroll = window.context, window.enroll_tab
    window.show_enroll()
    qtbot.waitUntil(lambda: enroll.view.frames_shown >= 3, timeout=15_000)

    enroll.person.setEditText("Colin_Powell")
    enroll.burst.setChecked(True)
    enroll.burst_size.setValue(BURST)
    _capture(qtbot, enroll, enroll.anchor_button)
    _capture(qtbot, enroll, enroll.positive_button)
    counts = {role: widget.count() for role, widget in enroll.lists.items()}
    assert min(counts.values()) >= 4, counts
    assert {role: len(context.store.images("Colin_Powell", role)) for role in counts} == counts

    import_lfw(context.store, lfw_dir, people=NEGATIVE_PEOPLE)
    emit(context.negatives_changed)
    qtbot.waitUntil(lambda: "negative images" in enroll.negatives.count.text(), timeout=10_000)

    trainer = enroll.trainer
    trainer.epochs.setValue(1)
    qtbot.mouseClick(trainer.train_button, Qt.LeftButton)
    assert trainer.running
    qtbot.waitUntil(lambda: not trainer.running, timeout=TRAIN_MS)
    assert "Trained 1 epoch" in trainer.status.text(), trainer.status.text()
    assert "precision" in trainer.figures.text()
    assert context.store.model_path.is_file()

    verify = window.verify_tab
    window.tabs.setCurrentWidget(verify)
    assert verify.verify_box.isVisible(), "the Verify tab should use the new model at once"
    assert window.model_status.text().startswith("Model trained")
    verify.person.setCurrentText("Colin_Powell")
    same = _verify(qtbot, verify)
    assert "Colin_Powell" in same and verify.details["Faces found"].text().endswith("of 5 frames")

    context.use_camera(image_sequence(lfw_dir, tmp_path / "blair", "Tony_Blair", 10))
    qtbot.waitUntil(lambda: verify.view.frames_shown >= 3 and context.feed.live, timeout=15_000)
    other = _verify(qtbot, verify)
    assert "VERIFIED" in other

    entries = context.audit.recent()
    assert len(entries) == 2 and all(e.source == "gui" and e.person == "Colin_Powell" for e in entries)
    window.tabs.setCurrentWidget(window.log_view)
    assert window.log_view.table.rowCount() == 2

    window.tabs.setCurrentWidget(verify)
    verify.live.setChecked(True)
    qtbot.waitUntil(lambda: verify.live_scores >= 3, timeout=60_000)
    assert "VERIFIED" in verify.meter_label.text() or "No face" in verify.meter_label.text()
    verify.live.setChecked(False)
    assert len(context.audit.recent()) > 2, "the first live verdict is logged"
