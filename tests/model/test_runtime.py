"""Deciding without TensorFlow: the LiteRT runtime model, its exports, and what an install without TensorFlow says.

The runtime's scores equal TensorFlow's float32 ones to 5e-5 (tests/verification/test_verifier.py, with
FACEVERIFY_PRECISION=float32); here the int8 model decides like TensorFlow on real faces, the verify path never
imports TensorFlow, and asking to train without it gives one line that says what to install.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faceverify.enrollment.lfw import read_pairs_file
from faceverify.evaluation.reference import TensorFlowModel
from faceverify.faces.pipeline import prepare_file
from faceverify.home.store import Store
from faceverify.model import current, export, shipped
from faceverify.model.head import compact
from faceverify.model.network import make_siamese, save_model
from faceverify.model.runtime import SHIPPED_EXPORT, load_runtime
from faceverify.model.trainability import INSTALL
from faceverify.training.readiness import training_blocker

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, block_tensorflow: bool = False) -> subprocess.CompletedProcess:
    """``faceverify ARGS`` in a fresh interpreter; it prints whether TensorFlow was imported, last."""
    block = "sys.modules['tensorflow'] = None\n" if block_tensorflow else ""
    code = (f"import sys\n{block}from faceverify.cli.commands import main\nstatus = main({list(args)!r})\n"
            "print('tensorflow imported:', sys.modules.get('tensorflow') is not None)\nsys.exit(status)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(ROOT)})


@pytest.fixture(scope="module")
def shipped_home(tmp_path_factory, lfw_dir) -> Store:
    """A home without a model of its own (the shipped one decides), with one LFW person enrolled."""
    home = tmp_path_factory.mktemp("home")
    person = lfw_dir / "Colin_Powell"
    result = run_cli("--home", str(home), "enroll", "Colin Powell", "--from",
                     *[str(p) for p in sorted(person.glob("*.jpg"))[:6]])
    assert result.returncode == 0, result.stderr
    return Store(home)


def decision(result: subprocess.CompletedProcess) -> dict:
    """The JSON decision of `verify --json`, without its timing."""
    *lines, last = result.stdout.strip().splitlines()
    assert last == "tensorflow imported: False"
    (outcome,) = json.loads("\n".join(lines))
    return {k: v for k, v in outcome.items() if k != "seconds"}


def test_verify_decides_without_importing_tensorflow(shipped_home, lfw_dir):
    probe = str(sorted((lfw_dir / "Colin_Powell").glob("*.jpg"))[10])
    first = run_cli("--home", str(shipped_home.root), "verify", "Colin Powell", probe, "--json")
    assert first.returncode in (0, 1) and first.stderr == ""  # no start-up chatter of TensorFlow or LiteRT
    assert (shipped_home.model_path.parent / SHIPPED_EXPORT).is_file()  # the shipped model's export, made once
    again = run_cli("--home", str(shipped_home.root), "verify", "Colin Powell", probe, "--json", block_tensorflow=True)
    assert again.returncode == first.returncode and decision(again) == decision(first)
    assert decision(first)["comparisons"] == 3


def test_training_without_tensorflow_says_what_to_install(shipped_home, monkeypatch):
    result = run_cli("--home", str(shipped_home.root), "train", "--epochs", "1", block_tensorflow=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"faceverify: Training needs TensorFlow, which is not installed: "
                                                  f"{INSTALL}"]
    monkeypatch.setattr("faceverify.training.readiness.can_train", lambda: False)  # the window's Train button
    assert INSTALL in training_blocker(shipped_home)


def test_a_saved_model_is_exported_beside_it_and_a_stale_export_is_made_again(tmp_path):
    store = Store(tmp_path).ensure()
    save_model(make_siamese(), store.model_path)
    runtime = export.export_path(store.model_path)
    first = load_runtime(store)
    assert runtime.is_file() and first.source["version"] == current.model_version(store)
    made = runtime.stat().st_mtime_ns
    runtime.write_bytes(b"not a model")  # damaged (or an older format): made again from the .keras
    second = load_runtime(store)
    assert second.source["version"] == first.source["version"] and runtime.stat().st_mtime_ns != made
    crops = np.random.default_rng(0).integers(0, 256, (3, 100, 100, 3), np.uint8)
    np.testing.assert_allclose(second.embed(crops), first.embed(crops), atol=1e-6)


@pytest.mark.slow
def test_runtime_decides_like_tensorflow_on_the_view1_test_pairs(tmp_path, shared_data):
    """At most 1 decision in 1,000 differs from TensorFlow's (as faceverify decided before), at the shipped model's
    calibrated detection threshold and at the seed's 0.5."""
    pairs = read_pairs_file(shared_data / "pairsDevTest.txt")
    files = sorted({path for pair in pairs for path in pair.paths})
    index = {path: i for i, path in enumerate(files)}
    crops = np.stack([prepare_file(shared_data / "lfw" / path).pixels for path in files])
    rows = np.array([[index[p.paths[0]], index[p.paths[1]]] for p in pairs])
    store = Store(tmp_path).ensure()
    lite = load_runtime(store)
    runtime, reference = lite.pair_scores(crops, rows), TensorFlowModel(store).pair_scores(crops, rows)
    stored = compact(lite.embed(crops))  # as galleries hold them: one byte a value
    from_galleries = lite.head(stored[rows[:, 0]], stored[rows[:, 1]])
    assert len(rows) == 1000
    for threshold in (shipped.calibration()["detection_threshold"], 0.5):
        assert np.sum((runtime > threshold) != (reference > threshold)) <= 1
        assert np.sum((from_galleries > threshold) != (reference > threshold)) <= 1
    assert np.abs(runtime - reference).max() < 0.05
