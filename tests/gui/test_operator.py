"""Operator mode: a password set on first use hides the operator controls from the end user; export and import of
a person through the People tab."""
import json

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QLineEdit

from faceverify.enrollment.enroll import remove_person
from faceverify.errors import FaceverifyError
from faceverify.gui.operator_lock import PasswordDialog
from faceverify.home import operator
from faceverify.home.store import Store

WAIT_MS = 15_000


def _operator_controls(window) -> dict[str, bool]:
    tabs = window.tabs
    return {
        "Enroll & Train": tabs.isTabVisible(tabs.indexOf(window.enroll_tab)),
        "People": tabs.isTabVisible(tabs.indexOf(window.people_view)),
        "Log": tabs.isTabVisible(tabs.indexOf(window.log_view)),
        "thresholds": not window.verify_tab.thresholds.isHidden(),
        "live mode": not window.verify_tab.live.isHidden(),
        "camera chooser": window.picker_action.isVisible(),
        "camera choice on the no-picture card": all(not b.isHidden() for b in window.verify_tab.view.source_buttons),
    }


def test_first_use_is_open_and_offers_to_set_a_password(open_gui):
    window = open_gui(97)
    assert window.lock.unlocked and all(_operator_controls(window).values())
    assert window.lock_button.text() == "Set operator password…"
    window.lock.lock()
    assert window.lock.unlocked, "without a password nothing could unlock it again"


def test_the_password_dialog_wants_the_same_long_enough_password_twice(open_gui, home):
    window = open_gui(97)
    dialog = PasswordDialog(window.lock, window)
    dialog.first.setText("secret1")
    dialog.second.setText("secret2")
    dialog.save()
    assert "differ" in dialog.message.text() and not operator.has_password(Store(home))
    dialog.first.setText("abc")
    dialog.second.setText("abc")
    dialog.save()
    assert "at least 6 characters" in dialog.message.text()
    dialog.first.setText("secret1")
    dialog.second.setText("secret1")
    dialog.save()
    assert dialog.result() == QDialog.Accepted and operator.has_password(Store(home))
    assert dialog.first.echoMode() == QLineEdit.Password


def test_locked_the_end_user_sees_camera_person_verify_and_result_only(open_gui, home, qtbot, monkeypatch):
    operator.set_password(Store(home), "operator-secret")
    window = open_gui(97)
    assert not window.lock.unlocked, "with a password set the window starts locked"
    assert not any(_operator_controls(window).values()), _operator_controls(window)
    assert window.tabs.currentWidget() is window.verify_tab
    assert window.lock_button.text() == "Operator…"

    answers = iter([("wrong", True), ("", False)])  # a wrong password, then Cancel
    monkeypatch.setattr("faceverify.gui.operator_lock.QInputDialog.getText", lambda *a, **k: next(answers))
    window.show_enroll()
    assert not window.lock.unlocked and window.tabs.currentWidget() is window.verify_tab

    assert not window.lock.unlock("wrong")
    assert window.lock.unlock("operator-secret")
    assert all(_operator_controls(window).values())
    window.lock_button.click()  # "Lock (end user view)"
    assert not window.lock.unlocked and not any(_operator_controls(window).values())


def test_the_password_is_stored_as_a_salted_hash_only(tmp_path):
    store = Store(tmp_path / "home")
    operator.set_password(store, "operator-secret")
    text = store.settings_path.read_text()
    assert "operator-secret" not in text
    first = json.loads(text)["operator_password"]
    operator.set_password(store, "operator-secret")
    second = json.loads(store.settings_path.read_text())["operator_password"]
    assert first["salt"] != second["salt"] and first["scrypt"] != second["scrypt"]
    assert operator.check_password(store, "operator-secret") and not operator.check_password(store, "Operator-secret")
    with pytest.raises(FaceverifyError, match="at least"):
        operator.set_password(store, "short")


def test_people_tab_exports_and_imports_a_person(open_gui, home, tmp_path, qtbot, monkeypatch):
    store = Store(home)
    for seed, role in enumerate(["anchor", "anchor", "positive"]):
        store.add_image("Ada", role, np.random.default_rng(seed).integers(0, 255, (100, 100, 3), np.uint8))
    window = open_gui(97)
    people = window.people_view
    window.tabs.setCurrentWidget(people)
    people.table.selectRow(0)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "ada.zip"), ""))
    people.export_button.click()
    qtbot.waitUntil(lambda: people.message.text().startswith("Exported"), timeout=WAIT_MS)
    assert people.message.text() == "Exported Ada: 2 anchors and 1 positive."

    remove_person(store, "Ada")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(tmp_path / "ada.zip"), ""))
    people.import_button.click()
    qtbot.waitUntil(lambda: people.message.text().startswith("Imported"), timeout=WAIT_MS)
    assert people.table.rowCount() == 1 and people.table.cell(0, 0) == "Ada"
    assert people.message.text() == "Imported Ada: 2 anchors and 1 positive added."
    people.import_button.click()
    qtbot.waitUntil(lambda: people.message.text().startswith("Nothing new"), timeout=WAIT_MS)
    assert people.message.text() == "Nothing new to import: all 3 images of Ada are enrolled already."

    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 broken")
    people.import_file(tmp_path / "bad.zip")
    qtbot.waitUntil(lambda: people.message.property("role") == "error", timeout=WAIT_MS)
    assert "not a readable enrollment archive" in people.message.text()


def test_the_unlocked_operator_changes_then_removes_the_password(open_gui, home, confirmations):
    store = Store(home)
    operator.set_password(store, "operator-secret")
    window = open_gui(97)
    assert not window.password_action.isVisible(), "locked: no way to the password"
    assert window.lock.unlock("operator-secret") and window.password_action.isVisible()

    dialog = PasswordDialog(window.lock, window)
    assert dialog.windowTitle() == "Change the operator password" and dialog.remove_button.isVisibleTo(dialog)
    dialog.first.setText("new-secret")
    dialog.second.setText("new-secret")
    dialog.save()
    assert operator.check_password(store, "new-secret") and not operator.check_password(store, "operator-secret")
    window.lock.lock()
    assert not window.lock.unlock("operator-secret") and window.lock.unlock("new-secret")

    dialog = PasswordDialog(window.lock, window)
    confirmations.answer = False
    dialog.remove_button.click()
    assert confirmations.asked == [("Remove the operator password", "Cancel", ["Cancel", "Remove password"])]
    assert operator.has_password(store), "Cancel (the default) keeps it"
    confirmations.answer = True
    dialog.remove_button.click()
    assert not operator.has_password(store) and window.lock.unlocked and dialog.result() == QDialog.Accepted
    assert not window.password_action.isVisible() and window.lock_button.text() == "Set operator password…"
    window.lock.lock()
    assert window.lock.unlocked, "nothing left to lock with"
