"""The Train box: disabled with the reason until there is something to train on, options locked while training and
remembered, an interrupted training offered for resuming or discarding, and a useless model called so."""
import json
import re
import threading
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from conftest import make_small_store
from faceverify.errors import FaceverifyError
from faceverify.gui import jobs
from faceverify.gui.qt_compat import emit
from faceverify.home.store import Store
from faceverify.model.current import save_calibration
from faceverify.training.acceptance import Comparison


def _calibration(eer: float) -> dict:
    return {"detection_threshold": 0.5, "validation": {"eer": eer, "n_positive": 8, "n_negative": 59}}



def test_train_is_disabled_with_the_reason_until_there_is_something_to_train_on(open_gui, home):
    window = open_gui(97)
    box = window.enroll_tab.trainer
    window.show_enroll()
    assert not box.train_button.isEnabled()
    assert box.blocker.isVisible() and "Enroll someone first" in box.blocker.text()
    assert box.blocker.text() == box.train_button.toolTip()
    make_small_store(home)
    emit(window.context.people_changed)
    assert box.train_button.isEnabled() and not box.blocker.isVisible()


def test_epochs_read_right_and_the_options_are_locked_while_training_and_remembered(open_gui, qtbot, home,
                                                                                    monkeypatch):
    make_small_store(home)
    started = threading.Event()

    def training(task, store, epochs, fine_tune, resume):  # stands in for minutes of TensorFlow
        started.set()
        while not task.cancelled():
            threading.Event().wait(0.01)
        raise FaceverifyError("cancelled")

    monkeypatch.setattr(jobs, "train", training)
    window = open_gui(97)
    box = window.enroll_tab.trainer
    box.epochs.setValue(1)
    assert box.epochs.text() == "1 epoch"
    box.epochs.setValue(7)
    assert box.epochs.text() == "7 epochs"
    qtbot.mouseClick(box.train_button, Qt.LeftButton)
    assert started.wait(10)
    assert not box.epochs.isEnabled() and not box.train_button.isEnabled() and box.cancel_button.isEnabled()
    box.cancel()
    qtbot.waitUntil(lambda: not box.running, timeout=10_000)
    assert "Training cancelled" in box.status.text() and box.epochs.isEnabled()
    window.close()
    assert open_gui(97).enroll_tab.trainer.epochs.value() == 7


def test_an_interrupted_training_is_discarded_only_once_the_operator_confirms(open_gui, home, confirmations):
    store = make_small_store(home)
    store.checkpoints_dir.mkdir()
    (store.checkpoints_dir / "training.json").write_text(json.dumps(
        {"config": {"epochs": 50}, "history": [{}, {}], "checkpoint": "ckpt-1", "pairs_per_second": 1.0}))
    window = open_gui(97)
    window.show_enroll()
    box = window.enroll_tab.trainer
    assert box.interrupted.isVisible() and "2 of 50 epochs done" in box.interrupted_text.text()
    assert box.resume_button.isEnabled()
    confirmations.answer = False
    box.discard_button.click()
    assert confirmations.asked == [("Discard the unfinished training", "Cancel", ["Cancel", "Discard"])]
    assert box.interrupted.isVisible() and Store(home).checkpoints_dir.exists(), "Cancel (the default) keeps it"
    confirmations.answer = True
    box.discard_button.click()
    assert len(confirmations.asked) == 2, "asked once"
    assert not box.interrupted.isVisible() and not Store(home).checkpoints_dir.exists()


def test_a_model_near_chance_is_reported_as_not_usable(open_gui, home):
    window = open_gui(97)
    box = window.enroll_tab.trainer
    epoch = SimpleNamespace(seconds=30.0, val_precision=0.5, val_recall=0.5, val_accuracy=0.5, val_loss=0.69, loss=0.69)
    box._on_trained(SimpleNamespace(history=[epoch], calibration=_calibration(0.5), comparison=None, replaced=True))
    text = box.status.text()
    assert text.startswith("Trained 1 epoch in 30 s.") and "not usable" in text and "cannot be trusted" in text
    assert box.status.property("role") == "error"


def test_a_kept_model_is_reported_with_intervals_not_a_bare_error_rate(open_gui, home):
    window = open_gui(97)
    box = window.enroll_tab.trainer
    epoch = SimpleNamespace(seconds=30.0, val_precision=0.9, val_recall=0.9, val_accuracy=0.9, val_loss=0.2, loss=0.2)
    comparison = Comparison(True, 30, 400, 0.90, 0.95, 2, 5)
    box._on_trained(SimpleNamespace(history=[epoch], calibration=_calibration(0.01), comparison=comparison,
                                    replaced=True))
    text = box.status.text()
    assert text.startswith("Trained 1 epoch in 30 s. The new model is good. The new model is better")
    assert "95% interval" in text and "wrong about 1% of the time" not in text
    assert box.status.property("role") == "ok"


def test_the_verify_tab_warns_while_the_model_in_use_is_not_usable(open_gui, home):
    store = make_small_store(home)
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    store.model_path.write_bytes(b"stands for a model: the window only looks at the file")
    save_calibration(store, _calibration(0.42))
    window = open_gui(97)
    tab = window.verify_tab
    assert not tab.model_warning.isHidden() and "wrong about 42% of the time" in tab.model_warning.text()
    save_calibration(store, _calibration(0.1))
    window.context.check_model()
    assert tab.model_warning.isHidden()


@pytest.mark.slow
def test_cancel_in_the_window_keeps_every_finished_epoch(open_gui, qtbot, home, monkeypatch):
    monkeypatch.setattr("faceverify.training.trainer.CHECKPOINT_SECONDS", 3600)  # only the first epoch on schedule
    make_small_store(home)
    window = open_gui(97)
    window.show_enroll()
    box = window.enroll_tab.trainer
    box.epochs.setValue(5)
    box.train()
    qtbot.waitUntil(lambda: box.progress.value() > 400, timeout=600_000)  # into the third epoch of five
    qtbot.mouseClick(box.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not box.running, timeout=600_000)
    assert "Training cancelled" in box.status.text() and box.interrupted.isVisible()
    done = int(re.search(r"\((\d+) of 5 epochs done", box.interrupted_text.text()).group(1))
    assert done >= 2, "every finished epoch is kept, not only the first one's checkpoint"
