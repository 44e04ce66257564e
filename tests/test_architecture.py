"""The rules between the subpackages (pyproject.toml's import-linter contracts) hold, and the checker can fail.

import-linter runs in a child process: it prints through its own console, which must not meet pytest's capture.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    code = ("import sys; from importlinter import cli; "
            "sys.exit(cli.lint_imports(config_filename=sys.argv[1], no_cache=True))")
    return subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 6


def test_a_broken_contract_fails(tmp_path):
    # The home really imports the file primitives, so a contract forbidding it must be reported broken.
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_package = "faceverify"\n\n[[tool.importlinter.contracts]]\n'
                      'name = "home without files"\ntype = "forbidden"\nsource_modules = ["faceverify.home"]\n'
                      'forbidden_modules = ["faceverify.files"]\n')
    result = lint_imports(config)
    assert result.returncode == 1 and "faceverify.home.store -> faceverify.files" in result.stdout
