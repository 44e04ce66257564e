"""Diagnostics go to the home's rotating, owner-only log file; never to stderr, never into a home that is not there."""
from __future__ import annotations

import logging
import stat

import pytest

from faceverify.cli import commands
from faceverify.cli.commands import main
from faceverify.home import diagnostics
from faceverify.home.store import Store


@pytest.fixture
def faceverify_log():
    logger = logging.getLogger(diagnostics.LOGGER)
    yield logger
    for handler in [h for h in logger.handlers if isinstance(h, diagnostics.HomeLogHandler)]:
        logger.removeHandler(handler)
        handler.close()


def test_a_traceback_goes_to_the_owner_only_log_not_stderr(tmp_path, faceverify_log, capfd):
    store = Store(tmp_path / "home").ensure()
    diagnostics.log_to_home(store.log_path)
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("faceverify.gui.workers").exception("verify failed")
    text = store.log_path.read_text()
    assert "ERROR faceverify.gui.workers" in text and "KeyError: 'missing'" in text and "Traceback" in text
    assert stat.S_IMODE(store.log_path.stat().st_mode) == 0o600
    assert capfd.readouterr().err == ""


def test_nothing_is_written_into_a_home_that_does_not_exist(tmp_path, faceverify_log):
    home = tmp_path / "not-yet"
    diagnostics.log_to_home(Store(home).log_path)
    logging.getLogger("faceverify.cli.commands").error("something went wrong")
    assert not home.exists()


def test_the_log_is_rotated_and_old_files_are_dropped(tmp_path, faceverify_log, monkeypatch):
    monkeypatch.setattr(diagnostics, "MAX_BYTES", 2_000)
    store = Store(tmp_path / "home").ensure()
    diagnostics.log_to_home(store.log_path)
    for number in range(200):
        logging.getLogger("faceverify.model").warning("line %04d %s", number, "x" * 60)
    logs = sorted(p.name for p in store.log_path.parent.iterdir())
    assert logs == ["faceverify.log", "faceverify.log.1", "faceverify.log.2", "faceverify.log.3"]
    assert "line 0199" in store.log_path.read_text()
    assert all(p.stat().st_size <= 2_200 for p in store.log_path.parent.iterdir())


def test_a_bug_in_a_command_is_one_line_and_a_logged_traceback(tmp_path, faceverify_log, monkeypatch, capsys):
    home = Store(tmp_path / "home").ensure().root

    def broken(store, args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(commands.COMMANDS, "people", broken)
    assert main(["--home", str(home), "people"]) == commands.EXIT_BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected error (ZeroDivisionError)" in err and "Traceback" not in err
    assert "ZeroDivisionError: a bug" in (home / "logs" / "faceverify.log").read_text()
