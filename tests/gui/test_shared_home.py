"""The window and the command line on one home at the same time, and the Log tab that shows what both logged."""
import csv
import sqlite3
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from faceverify.enrollment.enroll import enroll
from faceverify.gui.log_view import HEADERS
from faceverify.home.audit import AuditEntry, AuditLog
from faceverify.home.store import Store
from helpers import lfw_images, run_script, save_random_model

from .conftest import face_video

VERIFY_MS = 120_000


def _verify(qtbot, tab) -> None:
    qtbot.mouseClick(tab.verify_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=VERIFY_MS)
    assert tab.banner.property("state") in ("yes", "no"), tab.banner.text()


def test_cli_commands_beside_the_window_then_verify_in_the_window(open_gui, qtbot, tmp_path, home, lfw_dir):
    store = Store(home).ensure()
    images = lfw_images("Colin_Powell", 5)
    enroll(store, "Colin_Powell", images[:4])
    save_random_model(store.model_path)
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    qtbot.waitUntil(lambda: window.context.feed.live, timeout=15_000)
    tab.person.setCurrentText("Colin_Powell")
    _verify(qtbot, tab)  # the window has written to its log

    for args in (["log"], ["people"], ["verify", "Colin_Powell", images[4]], ["log", "--json"]):
        result = run_script("--home", home, *args)
        assert result.returncode in (0, 1), result.stderr  # verify exits 1 when not verified
        assert "error" not in result.stderr.lower(), result.stderr

    _verify(qtbot, tab)  # before the fix: "disk I/O error"
    sources = [entry.source for entry in window.context.audit.recent()]
    assert sources == ["gui", "cli", "gui"]
    window.tabs.setCurrentWidget(window.log_view)
    assert window.log_view.table.rowCount() == 3


def test_live_mode_logs_one_row_per_change_of_decision(open_gui, qtbot, tmp_path, home, lfw_dir):
    store = Store(home).ensure()
    enroll(store, "Colin_Powell", lfw_images("Colin_Powell", 4))
    save_random_model(store.model_path)
    window = open_gui(face_video(lfw_dir, tmp_path / "face.avi"))
    tab = window.verify_tab
    tab.person.setCurrentText("Colin_Powell")
    tab.live.setChecked(True)
    qtbot.waitUntil(lambda: tab.live_scores >= 8, timeout=VERIFY_MS)
    tab.live.setChecked(False)
    entries = window.context.audit.recent()
    changes = sum(a.verified != b.verified for a, b in zip(entries, entries[1:]))
    assert 1 <= len(entries) == changes + 1 < tab.live_scores, (len(entries), tab.live_scores)


def test_a_log_that_cannot_be_read_is_shown_as_an_error(open_gui, qtbot, monkeypatch):
    window = open_gui(97)
    audit = window.context.audit

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(audit, "recent", broken)
    window.tabs.setCurrentWidget(window.log_view)
    view = window.log_view
    assert view.error.isVisible() and "disk I/O error" in view.error.text()
    assert "No verification attempts yet" not in view.table.placeholder


def test_log_filters_by_person_and_result_and_exports_what_it_shows(open_gui, home, tmp_path, monkeypatch):
    with AuditLog(Store(home).audit_path) as log:
        for person, verified in (("Ada", True), ("Grace", False), ("Ada", False)):
            log.record(AuditEntry("verify", person, verified, 0.5, 0.5, 0.5, 0.5, "2a-18b2f0c7e4c3a000-9f", "cli",
                                  "probe.jpg"))
    window = open_gui(97)
    window.tabs.setCurrentWidget(window.log_view)
    view = window.log_view
    assert view.table.rowCount() == 3
    assert [view.person.itemText(i) for i in range(view.person.count())] == ["Everyone", "Ada", "Grace"]
    trained = datetime.fromtimestamp(0x18b2f0c7e4c3a000 / 1e9)
    assert view.table.cell(0, HEADERS.index("Model")) == f"trained {trained:%Y-%m-%d %H:%M}"

    view.person.setCurrentText("Ada")
    assert view.table.rowCount() == 2
    view.result.setCurrentText("Not verified")
    assert view.table.rowCount() == 1 and view.table.cell(0, HEADERS.index("Result")) == "NOT VERIFIED"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "log.csv"), ""))
    view.export_button.click()
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert [(r["person"], r["verified"]) for r in rows] == [("Ada", "False")]


def test_the_model_loads_in_the_background_at_start_up(open_gui, qtbot, home, lfw_dir):
    store = Store(home).ensure()
    enroll(store, "Colin_Powell", lfw_images("Colin_Powell", 2))
    save_random_model(store.model_path)
    window = open_gui(97)
    assert window.model_status.text().endswith("(loading…)") or window.context.verifier_loaded
    qtbot.waitUntil(lambda: window.context.verifier_loaded, timeout=VERIFY_MS)  # nobody pressed Verify
    qtbot.waitUntil(lambda: not window.model_status.text().endswith("(loading…)"), timeout=VERIFY_MS)
