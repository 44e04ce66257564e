"""Hostile conditions, classes 3 and 5: ``kill -9`` at many points of every writer, and a removal racing a decision.

Each writer (enroll into an existing person, people import, import-lfw, people remove) runs as its own process and
is killed at evenly spread moments of its run; the next writer's recovery then runs, and the home must be exactly
in the state before the change or after it: every crop, negative and logged attempt, nothing half, no staging
folder left. Training's model swap is killed the same way. The kill harness is slow (about 3 minutes on 2 shared
cores).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from faceverify.enrollment.enroll import remove_person
from faceverify.enrollment.transfer import export_person
from faceverify.errors import UnknownPersonError
from faceverify.faces.pipeline import Face
from faceverify.files.digest import content_digest
from faceverify.home.audit import AuditEntry, AuditLog
from faceverify.home.store import Store
from faceverify.verification.decisions import DecisionService, Outcome
from faceverify.verification.rule import Decision
from helpers import encode, lfw_style_folder, noise_bgr, write

ROOT = Path(__file__).resolve().parents[2]
KILLS = 8  # kill points per writer, spread over its change (from its staging folder's appearance to its end)
STAGING = (".enroll-", ".import-", ".remove-", ".train-")


def _state(home: Path) -> tuple[dict[str, str], int, list[str]]:
    """What a change may touch: every crop and negative by content, Ada's logged attempts, leftover staging."""
    files = {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
             for tree in ("people", "negatives") for p in sorted((home / tree).rglob("*")) if p.is_file()}
    attempts = 0
    if (home / "audit.sqlite").exists():
        with AuditLog(home / "audit.sqlite") as log:
            attempts = sum(entry.person == "Ada" for entry in log.recent(10_000))
    staging = sorted(p.name for p in home.iterdir() if p.name.startswith(STAGING))
    return files, attempts, staging


def _faceverify(home: Path, *args: str | os.PathLike) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen([sys.executable, "-m", "faceverify", "--home", str(home), *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _recover(home: Path) -> None:
    """What the next writer does first: take the lock, finish or throw away what a killed writer left."""
    code = ("import sys\nfrom faceverify.home import journal\nfrom faceverify.files import locks\n"
            "from faceverify.home.store import Store\nstore = Store(sys.argv[1])\n"
            "with locks.writing(store.root, 'test'):\n    journal.recover(store)\n")
    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    subprocess.run([sys.executable, "-c", code, str(home)], check=True, env=env, timeout=120)


def _home_with_ada(root: Path, crops: int) -> Path:
    store = Store(root)
    for index in range(crops):
        store.add_image("Ada", ("anchor", "positive")[index % 2], noise_bgr(1000 + index, 100))
    with AuditLog(store.audit_path) as log:
        for _ in range(3):
            log.record(AuditEntry("verify", "Ada", True, 1.0, 0.9, 0.5, 0.5, "v", "cli", "probe.jpg", b"crop"))
    return root


def _staging_appears(home: Path, writer: subprocess.Popen) -> float:
    """Wait until the writer has made its staging folder (its change begins); the moment, or that of its end."""
    while writer.poll() is None and not any(p.name.startswith(STAGING) for p in home.iterdir()):
        time.sleep(0.001)
    return time.monotonic()


def _model_state(home: Path) -> tuple[dict[str, bool], object, list[str]]:
    """What a model swap may touch: whether there is a model, whether the calibration is that model's (a training
    is not bit-reproducible, so the content itself differs from run to run), the chosen threshold, staging."""
    model, calibration = home / "model" / "siamese.keras", home / "model" / "calibration.json"
    calibrated = (calibration.is_file() and model.is_file()
                  and json.loads(calibration.read_text())["model_version"] == content_digest(model))
    staging = sorted(p.name for p in home.iterdir() if p.name.startswith(STAGING))
    return {"model": model.is_file(), "calibrated": calibrated}, Store(home).setting("detection_threshold"), staging


def _killed_at_many_points(tmp_path: Path, before_home: Path, *args: str | os.PathLike, kills: int = KILLS,
                           state=_state) -> set[str]:
    """Run the writer once whole (its after state, and how long its change takes from the moment its staging
    folder appears), then killed at KILLS moments spread over that change; returns the states ('before', 'after')
    the killed runs were recovered to."""
    whole = tmp_path / "whole"
    shutil.copytree(before_home, whole, symlinks=True)
    writer = _faceverify(whole, *args)
    change_began = _staging_appears(whole, writer)
    assert writer.wait(timeout=300) == 0, writer.stderr.read().decode()
    change = time.monotonic() - change_began
    before, after = state(before_home), state(whole)
    assert before != after and after[2] == []
    seen = set()
    for point in range(kills):
        home = tmp_path / f"killed-{point}"
        shutil.copytree(before_home, home, symlinks=True)
        writer = _faceverify(home, *args)
        _staging_appears(home, writer)
        time.sleep(change * point / kills)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        _recover(home)
        found = state(home)
        assert found in (before, after), f"killed {point}/{kills} into a {change:.2f} s change: a state between"
        seen.add("before" if found == before else "after")
        shutil.rmtree(home)
    return seen


@pytest.mark.slow
def test_enroll_into_an_existing_person_killed_anywhere_adds_all_or_nothing(tmp_path):
    home = _home_with_ada(tmp_path / "before", 4)
    images = [write(tmp_path / "in" / f"{i}.png", encode(noise_bgr(i, 120))) for i in range(80)]
    assert _killed_at_many_points(tmp_path, home, "enroll", "Ada", "--from", images[0].parent)


@pytest.mark.slow
def test_people_import_killed_anywhere_adds_all_or_nothing(tmp_path):
    source = _home_with_ada(tmp_path / "source", 600)
    archive = tmp_path / "ada.zip"
    export_person(Store(source), "Ada", archive)
    home = _home_with_ada(tmp_path / "before", 2)
    assert _killed_at_many_points(tmp_path, home, "people", "import", archive)


@pytest.mark.slow
def test_import_lfw_killed_anywhere_adds_all_or_nothing(tmp_path):
    lfw = lfw_style_folder(tmp_path / "lfw", people=12, per_person=10)
    home = _home_with_ada(tmp_path / "before", 2)
    assert _killed_at_many_points(tmp_path, home, "import-lfw", lfw)


@pytest.mark.slow
def test_people_remove_killed_anywhere_removes_all_or_nothing(tmp_path):
    home = _home_with_ada(tmp_path / "before", 1500)
    assert _killed_at_many_points(tmp_path, home, "people", "remove", "Ada")


@pytest.mark.slow
def test_training_killed_during_its_model_swap_swaps_all_or_nothing(tmp_path):
    from conftest import make_small_store

    home = make_small_store(tmp_path / "before").root
    Store(home).save_settings(detection_threshold=0.9)
    # --replace-if-worse: a one-step model never beats the shipped one, and only a model that is kept is swapped in
    assert _killed_at_many_points(tmp_path, home, "train", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size",
                                  "8", "--replace-if-worse", kills=2, state=_model_state)


# -- a removal racing a decision ------------------------------------------------------------------------------------
def _outcome(person: str) -> Outcome:
    scores = np.array([0.9], np.float32)
    return Outcome("probe.jpg", Decision(person, True, 1.0, 0.9, 1, 0.5, 0.5, "v", scores), None, True, 0.1)


def test_a_decision_finished_after_its_person_was_removed_is_not_logged(tmp_path):
    store = Store(_home_with_ada(tmp_path / "home", 2))
    service = DecisionService(store, "cli")
    face = Face(noise_bgr(1, 100), None)
    try:
        service.log(_outcome("Ada"), face)  # decided and logged before the removal: the removal deletes it
        remove_person(store, "Ada")
        with pytest.raises(UnknownPersonError, match="removed while the decision was made"):
            service.log(_outcome("Ada"), face)  # decided while the removal ran, logged after it: refused
    finally:
        service.close()
    with AuditLog(store.audit_path) as log:
        assert [entry.person for entry in log.recent(100)] == []


# -- training's model swap ---------------------------------------------------------------------------------------------
def _staged_training(store: Store, model: bytes, committed: bool) -> None:
    """What a training killed during its model swap leaves: the new model and calibration staged, committed or not."""
    staged = store.root / ".train-0123" / "model"
    write(staged / "siamese.keras", model)
    write(staged / "calibration.json", b'{"detection_threshold": 0.2}')
    if committed:
        write(store.root / ".train-0123" / "COMMITTED", b"")


@pytest.mark.parametrize("committed", [False, True])
def test_a_model_swap_killed_before_or_after_its_commit_is_recovered_whole(committed, tmp_path):
    from faceverify.files import locks
    from faceverify.home import journal

    store = Store(_home_with_ada(tmp_path / "home", 2))
    write(store.model_path, b"old model")
    write(store.calibration_path, b'{"detection_threshold": 0.7}')
    store.save_settings(detection_threshold=0.9)
    _staged_training(store, b"new model", committed)
    with locks.writing(store.root, "test"):
        journal.recover(store)
    assert not list(store.root.glob(".train-*"))
    if committed:  # after: the new model, its calibration, the old model's chosen threshold dropped
        assert (store.model_path.read_bytes(), store.calibration_path.read_bytes()) == (
            b"new model", b'{"detection_threshold": 0.2}')
        assert store.setting("detection_threshold") is None
    else:  # before: all as it was
        assert (store.model_path.read_bytes(), store.calibration_path.read_bytes()) == (
            b"old model", b'{"detection_threshold": 0.7}')
        assert store.setting("detection_threshold") == 0.9
