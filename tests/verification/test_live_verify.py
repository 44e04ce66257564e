"""`faceverify verify/identify --camera` end to end: image sequences of an enrolled LFW person and of a stranger.

The model is set (as in test_verifier) so that its answer is known: a crop scores high only against a crop of the
same image, below sigmoid(-6) against any other image here. The person is enrolled with the crops of three of their
LFW images; the camera is an image sequence of the same three images, read and tracked by the live feed, so each of
its frames matches one enrolled image (1 of 3 comparisons) and none of the stranger's frames matches any.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from faceverify.faces.pipeline import prepare_file
from faceverify.home.audit import AuditLog
from faceverify.home.store import Store
from faceverify.model.network import save_model
from helpers import run_cli
from siamese_fixtures import calibrated_siamese

PERSON, STRANGER = "Tony_Blair", "Ariel_Sharon"
THRESHOLDS = ("--detection-threshold", "0.5", "--verification-threshold", "0.2")
NO_LIVENESS = "--no-liveness"  # the identity decision itself (test_liveness_cli.py tests the check on the camera)


def sequence(images: list[Path], folder: Path) -> str:
    """The images as an image sequence folder/0000.jpg, 0001.jpg, ... (the files copied as they are)."""
    folder.mkdir()
    for index, image in enumerate(images):
        shutil.copy(image, folder / f"{index:04d}.jpg")
    return str(folder / "%04d.jpg")


@pytest.fixture(scope="module")
def camera_home(lfw_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("camera")
    images = {name: sorted((lfw_dir / name).glob("*.jpg"))[:3] for name in (PERSON, STRANGER)}
    crops = {name: np.stack([prepare_file(path).pixels for path in paths]) for name, paths in images.items()}
    store = Store(root / "home").ensure()
    for crop in crops[PERSON]:
        store.add_image(PERSON, "positive", crop)
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(calibrated_siamese(np.concatenate(list(crops.values())), seed=2, identical_only=True), store.model_path)
    return store, {name: sequence(paths, root / name) for name, paths in images.items()}


def test_verify_camera_accepts_the_person_and_rejects_a_stranger(camera_home, capsys):
    store, cameras = camera_home
    status, out, _ = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", cameras[PERSON], "--json",
                             NO_LIVENESS, *THRESHOLDS)
    accepted = json.loads(out)
    assert status == 0 and len(accepted) == 1
    assert accepted[0]["verified"] and accepted[0]["person"] == PERSON and accepted[0]["face_found"]
    assert accepted[0]["frames"] == 5 and accepted[0]["comparisons"] == 5 * 3
    assert accepted[0]["share"] == pytest.approx(1 / 3)  # each frame matches its own image, not the two others
    assert accepted[0]["image"] == f"image sequence {cameras[PERSON]}"
    assert accepted[0]["liveness"] == {"checked": False, "passed": False, "reason": "liveness check turned off"}

    status, out, _ = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", cameras[STRANGER],
                             "--frames", "3", NO_LIVENESS, *THRESHOLDS)
    assert status == 1 and "NOT VERIFIED" in out and "0% of 9 comparisons" in out

    with AuditLog(store.audit_path) as log:
        entries = log.recent(2)
    assert [(e.verified, e.source, e.kind, e.person) for e in entries] == [
        (False, "cli", "verify", PERSON), (True, "cli", "verify", PERSON)]
    assert entries[0].image == f"image sequence {cameras[STRANGER]}"


def test_identify_camera_names_the_person_and_nobody_for_a_stranger(camera_home, capsys):
    store, cameras = camera_home
    status, out, _ = run_cli(capsys, "--home", store.root, "identify", "--camera", cameras[PERSON], "--json",
                             NO_LIVENESS, *THRESHOLDS)
    assert status == 0 and json.loads(out)[0]["person"] == PERSON
    status, out, _ = run_cli(capsys, "--home", store.root, "identify", "--camera", cameras[STRANGER], "--json",
                             NO_LIVENESS, *THRESHOLDS)
    assert status == 1 and json.loads(out)[0]["person"] == "unknown" and not json.loads(out)[0]["verified"]


def test_camera_errors_are_one_line_and_change_nothing(camera_home, capsys, tmp_path):
    store, cameras = camera_home
    before = store.audit_path.stat().st_mtime_ns if store.audit_path.exists() else None
    started = time.monotonic()
    status, out, err = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", str(tmp_path / "%04d.jpg"))
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "No frames from image sequence" in err and "No images match" in err
    assert time.monotonic() - started < 30
    status, _, err = run_cli(capsys, "--home", store.root, "verify", PERSON, str(tmp_path / "x.jpg"),
                             "--camera", cameras[PERSON])
    assert status == 2 and "give image files or --camera SOURCE" in err
    status, _, err = run_cli(capsys, "--home", store.root, "verify", PERSON)
    assert status == 2 and "give image files or --camera SOURCE" in err
    assert (store.audit_path.stat().st_mtime_ns if store.audit_path.exists() else None) == before
