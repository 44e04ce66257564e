"""`faceverify operator`: the operator's password set, changed and cleared from the command line (the operator's
tool, not locked), read from stdin in a script; the window's lock follows."""
from __future__ import annotations

import io

import pytest

from faceverify.home import operator
from faceverify.home.store import Store
from helpers import assert_one_line_error, run_cli


def _with_stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_set_change_and_clear_the_password(monkeypatch, tmp_path, capsys):
    home, store = tmp_path / "home", Store(tmp_path / "home")
    status, out, _ = run_cli(capsys, "--home", home, "operator")
    assert (status, out) == (0, "operator password: none (the window is open to everyone)\n")
    _with_stdin(monkeypatch, "first-secret\n")
    status, out, err = run_cli(capsys, "--home", home, "operator", "set")
    assert (status, out, err) == (0, "operator password set: the window starts locked\n", "")
    assert operator.check_password(store, "first-secret") and "first-secret" not in store.settings_path.read_text()
    assert "set (the window starts locked)" in run_cli(capsys, "--home", home, "operator", "status")[1]

    _with_stdin(monkeypatch, "second-secret\n")
    assert run_cli(capsys, "--home", home, "operator", "change")[:2] == (0, "operator password changed\n")
    assert operator.check_password(store, "second-secret") and not operator.check_password(store, "first-secret")

    store.save_settings(detection_threshold=0.4)
    assert run_cli(capsys, "--home", home, "operator", "clear")[:2] == (0, "operator password removed: the window "
                                                                         "starts open\n")
    assert not operator.has_password(store) and store.load_settings() == {"detection_threshold": 0.4}
    assert run_cli(capsys, "--home", home, "operator", "clear")[1] == ("no operator password was set: nothing to "
                                                                      "remove\n")


@pytest.mark.parametrize("action, stdin, phrase", [
    ("set", "short\n", "at least 6 characters"),
    ("set", "", "at least 6 characters"),
    ("change", "long-enough\n", "No operator password is set yet"),
])
def test_a_bad_password_or_action_is_one_line_and_changes_nothing(monkeypatch, tmp_path, capsys, action, stdin,
                                                                  phrase):
    _with_stdin(monkeypatch, stdin)
    status, _, err = run_cli(capsys, "--home", tmp_path / "home", "operator", action)
    assert_one_line_error(status, err, phrase)
    assert not operator.has_password(Store(tmp_path / "home"))


def test_set_refuses_to_replace_a_password_silently(monkeypatch, tmp_path, capsys):
    store = Store(tmp_path / "home")
    operator.set_password(store, "first-secret")
    _with_stdin(monkeypatch, "other-secret\n")
    status, _, err = run_cli(capsys, "--home", store.root, "operator", "set")
    assert_one_line_error(status, err, "operator change")
    assert operator.check_password(store, "first-secret")


def test_a_terminal_asks_twice_and_refuses_two_different_passwords(monkeypatch, tmp_path, capsys):
    answers = iter(["typed-secret", "typed-secreT"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    status, _, err = run_cli(capsys, "--home", tmp_path / "home", "operator", "set")
    assert_one_line_error(status, err, "The two passwords differ")
    assert not operator.has_password(Store(tmp_path / "home"))
