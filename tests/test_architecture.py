"""The rules between the subpackages (pyproject.toml's import-linter contracts) hold, and the checker can fail."""
from __future__ import annotations

from pathlib import Path

from importlinter import cli

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_is_kept(capsys):
    assert cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0, capsys.readouterr().out


def test_a_broken_contract_fails(tmp_path, capsys):
    # The home really imports the file primitives, so a contract forbidding it must be reported broken.
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_package = "faceverify"\n\n[[tool.importlinter.contracts]]\n'
                      'name = "home without files"\ntype = "forbidden"\nsource_modules = ["faceverify.home"]\n'
                      'forbidden_modules = ["faceverify.files"]\n')
    assert cli.lint_imports(config_filename=str(config), no_cache=True) == 1
    assert "faceverify.home.store -> faceverify.files" in capsys.readouterr().out
