"""The security level in the window: chosen in plain words, saved, the raw sliders under Advanced; each person's
threshold in the People tab; a refused training says the model in use stays."""
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from faceverify.faces.pipeline import prepare_file
from faceverify.home.store import Store
from faceverify.training.acceptance import Comparison
from faceverify.verification.levels import LEVELS

WAIT_MS = 15000
MODEL_MS = 120000  # TensorFlow and the shipped model load on a busy 2-core machine


def test_the_level_is_chosen_saved_and_the_sliders_sit_under_advanced(open_gui, qtbot, home):
    box = open_gui(97).verify_tab.thresholds
    assert box.chosen() == "standard" and box.detection_threshold() is LEVELS["standard"]
    assert box.level.currentText() == "Standard: about 1 stranger in 100 accepted"
    assert not box.expert.isVisibleTo(box)
    qtbot.mouseClick(box.advanced, Qt.LeftButton)
    assert box.expert.isVisibleTo(box)
    box.level.setCurrentIndex(box.level.findData("high"))
    assert Store(home).load_settings()["security_level"] == "high"
    assert open_gui(97).verify_tab.thresholds.chosen() == "high"  # a new window opens at the saved level
    box.detection.slider.setValue(700)  # an expert's own threshold: the level becomes custom
    assert box.chosen() == "custom" and box.detection_threshold() == 0.7
    qtbot.waitUntil(lambda: Store(home).load_settings().get("detection_threshold") == 0.7, timeout=WAIT_MS)
    assert Store(home).load_settings()["security_level"] == "custom"


def test_the_people_tab_shows_each_persons_threshold_at_the_level(open_gui, qtbot, home, lfw_dir, monkeypatch):
    monkeypatch.undo()  # the shipped model and its cohort are what this is about
    store = Store(home).ensure()
    for index, path in enumerate(sorted((lfw_dir / "Colin_Powell").glob("*.jpg"))[:8]):
        store.add_image("Colin Powell", "anchor" if index % 2 else "positive", prepare_file(path).pixels)
    view = open_gui(97).people_view
    qtbot.waitUntil(lambda: "unseen faces pass" in view.table.cell(0, 4), timeout=MODEL_MS)
    found = view.thresholds["Colin Powell"]
    assert found.level == "standard" and found.cohort_far <= LEVELS["standard"].far and found.cohort_faces > 1000
    assert f"threshold {found.threshold:.3f}" in view.table.cell(0, 4)


@pytest.mark.parametrize("kept", [False, True])
def test_the_train_box_says_whether_the_new_model_replaced_the_one_in_use(open_gui, kept):
    box = open_gui(97).enroll_tab.trainer
    epoch = SimpleNamespace(seconds=30.0, val_precision=0.9, val_recall=0.9, val_accuracy=0.9, val_loss=0.2, loss=0.1)
    comparison = Comparison(kept, 9, 300, 0.95, 0.97 if kept else 0.93, 1, 12)
    calibration = {"detection_threshold": 0.02, "validation": {"eer": 0.05, "n_positive": 9, "n_negative": 300}}
    box._on_trained(SimpleNamespace(history=[epoch], calibration=calibration if kept else None,
                                    comparison=comparison, replaced=kept))
    text = box.status.text()
    if kept:
        assert "better than the one in use" in text and "1 of 9 (11%, 95% interval" in text
    else:
        assert "not better than the one in use (ROC AUC 0.930 against 0.950" in text and "model in use stays" in text
        assert box.status.property("role") == "error"
