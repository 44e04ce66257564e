"""The Log tab tells what decided each attempt: a liveness column with the reason, the model by its date (never a
hash); the window decides and shows a calibrated threshold exactly as the command line does."""
from datetime import datetime, timezone

import numpy as np

from faceverify.files import atomic
from faceverify.gui.log_view import GENERIC_MODEL, HEADERS
from faceverify.home.audit import AuditEntry
from faceverify.home.store import Store
from faceverify.model.current import model_trained, model_version, save_calibration
from faceverify.verification.decisions import DecisionService, Outcome
from faceverify.verification.rule import decide
from faceverify.verification.thresholds import threshold


def _entry(**fields) -> AuditEntry:
    values = dict(kind="verify", person="Ada", verified=False, share=0.0, mean_score=0.0, detection_threshold=0.2525,
                  verification_threshold=0.5, model_version="", source="gui", image="camera")
    return AuditEntry(**(values | fields))


def _cells(window, row: int) -> dict[str, str]:
    table = window.log_view.table
    return {header: table.cell(row, column) for column, header in enumerate(HEADERS)}


def test_the_log_shows_liveness_with_its_reason_and_the_model_by_its_date(open_gui, home):
    store = Store(home).ensure()
    atomic.write_bytes(store.model_path, b"stands for a model: the log only looks at the file")
    current = model_version(store)
    window = open_gui(97)
    audit = window.context.audit
    audit.record(_entry(liveness="failed", liveness_reason="You did not turn your head to your left in time"))
    audit.record(_entry(verified=True, share=0.8, mean_score=0.61, model_version="0123abcd", liveness="passed",
                        liveness_reason="A live person answered every prompt",
                        model_trained="2026-12-04T19:29:41+00:00"))
    audit.record(_entry(share=0.2, mean_score=0.1, model_version="shipped-0123456789abcdef", source="cli",
                        image="probe.jpg"))
    audit.record(_entry(share=0.2, mean_score=0.1, model_version=current))  # logged before dates were recorded
    audit.record(_entry(share=0.2, mean_score=0.1, model_version="fedcba98"))
    window.tabs.setCurrentWidget(window.log_view)
    newest_first = [_cells(window, row) for row in range(5)]

    failed = newest_first[4]
    assert failed["Result"] == "NOT VERIFIED"
    assert failed["Liveness"] == "failed: You did not turn your head to your left in time"
    assert (failed["Positive share"], failed["Mean score"], failed["Model"]) == ("", "", ""), "nothing was scored"
    trained = datetime(2026, 12, 4, 19, 29, 41, tzinfo=timezone.utc).astimezone()
    assert newest_first[3]["Liveness"] == "passed"
    assert newest_first[3]["Model"] == f"trained {trained:%Y-%m-%d %H:%M}"
    assert (newest_first[2]["Liveness"], newest_first[2]["Model"]) == ("not checked", GENERIC_MODEL)
    assert newest_first[1]["Model"] == window.context.model_label() and newest_first[1]["Model"].startswith("trained")
    assert newest_first[0]["Model"] == "an earlier model"
    assert all(not any(ch in row["Model"] for ch in ("0123", "fedc", "shipped-")) for row in newest_first)


def test_a_decision_records_the_date_of_its_model(tmp_path):
    store = Store(tmp_path / "home").ensure()
    store.add_image("Ada", "positive", np.zeros((100, 100, 3), np.uint8))  # only an enrolled person's attempt is logged
    atomic.write_bytes(store.model_path, b"stands for a model")
    service = DecisionService(store, "cli", verifier=object())  # logging only: nothing is scored here
    decision = decide("Ada", np.array([0.9, 0.1]), 0.5, 0.5, model_version(store))
    service.log(Outcome("probe.jpg", decision, None, True, 0.1), None)
    entry = service.audit.recent(1)[0]
    service.close()
    assert entry.model_trained == model_trained(store) and entry.model_trained.startswith("20")


def test_the_window_decides_and_shows_the_calibrated_threshold_as_the_cli_does(open_gui, home):
    store = Store(home).ensure()
    atomic.write_bytes(store.model_path, b"stands for a model: the window only looks at the file")
    save_calibration(store, {"detection_threshold": 0.2525, "verification_threshold": 0.5})
    assert round(0.2525 * 1000) == 252 and f"{0.2525:.3f}" == "0.253"  # where a slider's steps would differ
    window = open_gui(97)
    sliders = window.verify_tab.thresholds
    assert sliders.detection.value() == threshold(store, "detection_threshold") == 0.2525
    assert sliders.detection.value_label.text() == "0.253"
    sliders.detection.slider.setValue(300)  # the operator's own choice is the slider's step
    assert sliders.detection.value() == 0.3 and sliders.detection.value_label.text() == "0.300"
