"""`faceverify menu-entry`: the desktop menu entry and icon for this installation (its Python, so a virtual
environment's faceverify starts from the menu), and their removal."""
from __future__ import annotations

import shlex
import sys

import pytest

from faceverify.cli.menu_entry import quote
from helpers import run_cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="menu entries are Linux desktops'")


def test_install_runs_this_python_with_the_icon_then_remove_takes_both_away(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    status, out, err = run_cli(capsys, "--home", tmp_path / "my home", "menu-entry")
    assert status == 0, err
    entry = tmp_path / "data" / "applications" / "faceverify.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "faceverify.png"
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    assert shlex.split(fields["Exec"]) == [sys.executable, "-m", "faceverify", "--home", str(tmp_path / "my home"),
                                           "gui"]
    assert fields["Icon"] == str(icon) and icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fields["Type"] == "Application" and f"it runs: {sys.executable} -m faceverify" in out

    status, out, _ = run_cli(capsys, "menu-entry", "--remove")
    assert status == 0 and out == f"removed {entry}\nremoved {icon}\n"
    assert not entry.exists() and not icon.exists()
    assert run_cli(capsys, "menu-entry", "--remove")[1] == "no menu entry was installed: nothing to remove\n"


@pytest.mark.parametrize("argument, quoted", [
    ("/usr/bin/python3", "/usr/bin/python3"),
    ("/home/a b/venv/bin/python", '"/home/a b/venv/bin/python"'),
    ('/odd/$"`\\', '"/odd/\\$\\"\\`\\\\"'),
])
def test_exec_arguments_are_quoted_as_the_desktop_entry_specification_says(argument, quoted):
    assert quote(argument) == quoted
