"""Enroll a person from a camera, import negatives, train one epoch and verify: all through the window."""
import pytest
from PySide6.QtCore import QObject, Qt

from faceverify.enrollment.enroll import import_lfw
from faceverify.gui.qt_compat import emit

from .conftest import image_sequence

NEGATIVE_PEOPLE = {
    "Aaron_Eckhart", "Abba_Eban", "Adam_Sandler", "Adrien_Brody", "Al_Gore", "Alan_Greenspan",
    "Albert_Costa", "Ali_Naimi", "Alvaro_Uribe", "Amelie_Mauresmo", "Andre_Agassi", "Angela_Bassett",
}
BURST = 8
TRAIN_MS = 240_000


class LiveRecorder(QObject):
    """Wraps the Verify tab's live slot (a QObject's method, so it runs on the GUI thread): after each live score
    it notes what the meter says and whether the newest logged attempt is a verification; the next score starts
    only after this one is shown, so the two belong together."""

    def __init__(self, tab, audit) -> None:
        super().__init__()
        self.tab, self.audit, self.original = tab, audit, tab._show_live
        self.seen: list[tuple[str, bool]] = []

    def show_live(self, outcome) -> None:
        self.original(outcome)
        self.seen.append((self.tab.meter_label.text(), self.audit.recent(1)[0].verified))


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
    context.store.save_settings(liveness=False)  # LFW stills cannot turn their heads: test_liveness_gui checks that
    window.tabs.setCurrentWidget(verify)
    assert verify.verify_box.isVisible(), "the Verify tab should use the new model at once"
    assert window.model_status.text().startswith("Model trained")
    verify.person.setCurrentText("Colin_Powell")
    same = _verify(qtbot, verify)
    assert "Colin_Powell" in same and verify.details["Faces found"].text().endswith("of 5 frames")

    context.use_camera(image_sequence(lfw_dir, tmp_path / "blair", "Tony_Blair", 10))
    qtbot.waitUntil(lambda: verify.view.frames_shown >= 3 and context.feed.live, timeout=15_000)
    other = _verify(qtbot, verify)

    entries = context.audit.recent()
    assert len(entries) == 2 and all(e.source == "gui" and e.person == "Colin_Powell" for e in entries)
    for banner, entry in zip((other, same), entries):  # newest first; one epoch decides either way
        assert banner.startswith("VERIFIED<" if entry.verified else "NOT VERIFIED<"), banner
    window.tabs.setCurrentWidget(window.log_view)
    assert window.log_view.table.rowCount() == 2

    window.tabs.setCurrentWidget(verify)
    recorder = LiveRecorder(verify, context.audit)
    verify._show_live = recorder.show_live
    verify.live.setChecked(True)
    qtbot.waitUntil(lambda: len(recorder.seen) >= 3, timeout=60_000)
    verify.live.setChecked(False)
    assert len(context.audit.recent()) > 2, "the first live verdict is logged"
    for shown, logged in recorder.seen:  # each change of verdict is logged before it is shown
        assert shown.startswith("<b>VERIFIED</b>" if logged else "<b>NOT VERIFIED</b>"), shown
