"""`faceverify verify NAME --camera SOURCE` with the liveness check, on the live path end to end.

Videos of a photo attack are made from the enrolled person's own LFW photo (liveness_scenes.photo_attack): each fails
the check, and with --no-liveness the same video reaches the identity decision, so the rejection is the check's. A
real head turn from hamilton_clip.mp4, played as a camera, answers a prompt in its direction and fails the opposite.
The model is set as in test_live_verify (a crop scores high only against itself): the decision itself is not tested.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceverify.faces.pipeline import prepare, prepare_file, read_image
from faceverify.home.audit import AuditLog
from faceverify.home.store import Store
from faceverify.liveness.challenge import Challenge, Direction
from faceverify.model.network import save_model
from faceverify.verification.decisions import DecisionService
from faceverify.verification.live_verify import decide_camera
from helpers import run_cli
from liveness_scenes import ATTACKS, photo_attack
from siamese_fixtures import calibrated_siamese

PERSON = "Aaron_Peirsol"
THRESHOLDS = ("--detection-threshold", "0.5", "--verification-threshold", "0.2")


def write_video(frames: list[np.ndarray], path: Path, fps: float) -> str:
    """RGB frames as a Motion-JPEG video that the camera code opens like a webcam."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


@pytest.fixture(scope="module")
def attack_home(lfw_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("liveness")
    paths = sorted((lfw_dir / PERSON).glob("*.jpg"))[:3]
    crops = np.stack([prepare_file(path).pixels for path in paths])
    store = Store(root / "home").ensure()
    for crop in crops:
        store.add_image(PERSON, "positive", crop)
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(calibrated_siamese(crops, seed=2, identical_only=True), store.model_path)
    photo = read_image(paths[0])
    points = prepare(photo).landmarks.points
    # Long enough that the file does not start again (a jump) while the model loads and the challenge runs.
    videos = {kind: write_video(photo_attack(photo, points, kind, seconds=20, seed=3), root / f"{kind}.avi", 15.0)
              for kind in ATTACKS}
    return store, videos


@pytest.mark.parametrize("kind", ATTACKS)
def test_a_photo_attack_fails_liveness_and_reaches_the_decision_without_it(attack_home, capsys, kind):
    store, videos = attack_home
    status, out, err = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", videos[kind], "--json",
                               *THRESHOLDS)
    (result,) = json.loads(out)
    assert status == 1 and not result["verified"] and "comparisons" not in result  # nothing was scored
    expected = "The camera picture is frozen" if kind == "still" else "You did not turn your head to your"
    assert result["liveness"]["checked"] and not result["liveness"]["passed"]
    assert result["liveness"]["reason"].startswith(expected)
    assert "Look straight at the camera" in err  # the prompts went to the terminal, not into the JSON

    status, out, _ = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", videos[kind], "--json",
                             "--no-liveness", *THRESHOLDS)
    (result,) = json.loads(out)
    assert status in (0, 1) and result["comparisons"] == 5 * 3 and result["frames"] == 5
    assert result["liveness"] == {"checked": False, "passed": False, "reason": "liveness check turned off"}

    with AuditLog(store.audit_path) as log:
        unchecked, refused = log.recent(2)
    assert (refused.liveness, refused.verified, refused.person) == ("failed", False, PERSON)
    assert refused.liveness_reason.startswith(expected) and refused.image == f"video file {videos[kind]}"
    assert (unchecked.liveness, unchecked.liveness_reason) == ("not checked", "")


def test_the_setting_turns_the_check_off_and_the_text_result_says_why_it_failed(attack_home, capsys):
    store, videos = attack_home
    status, out, _ = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", videos["still"])
    assert status == 1 and "NOT VERIFIED — liveness check failed: The camera picture is frozen" in out
    assert run_cli(capsys, "--home", store.root, "liveness", "--off")[0] == 0
    try:
        status, out, _ = run_cli(capsys, "--home", store.root, "verify", PERSON, "--camera", videos["still"],
                                 "--json", *THRESHOLDS)
        assert json.loads(out)[0]["liveness"]["checked"] is False
    finally:
        run_cli(capsys, "--home", store.root, "liveness", "--on")


@pytest.fixture(scope="module")
def turning_camera(shared_data, tmp_path_factory) -> str:
    """Frames 181-207 of hamilton_clip.mp4 (the performer faces the camera, then turns to his right) at 10 fps, so
    that the live feed's tracker sees every one."""
    capture = cv2.VideoCapture(str(shared_data / "video" / "hamilton_clip.mp4"))
    frames = []
    for index in range(208):
        ok, bgr = capture.read()
        assert ok
        if index >= 181:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return write_video(frames, tmp_path_factory.mktemp("turn") / "turn.avi", 10.0)


@pytest.mark.parametrize("prompt", [Direction.RIGHT, Direction.LEFT])
def test_a_real_turn_on_the_live_path_answers_only_its_own_direction(attack_home, turning_camera, prompt):
    store, _ = attack_home
    service = DecisionService(store, source="cli")
    service.verifier.load()  # before the clip starts playing: the challenge must see it from its neutral start
    try:
        live = decide_camera(service, turning_camera, PERSON, 0.5, 0.2, challenge=Challenge([prompt]))
    finally:
        service.close()
    if prompt is Direction.RIGHT:
        assert live.liveness.passed and live.outcome is not None and live.faces_found == 5
        assert live.outcome.decision.comparisons == 5 * 3  # the identity decision ran on frames from the challenge
    else:
        assert not live.liveness.passed and live.outcome is None
        assert live.liveness.reason == "You turned your head to your right, not your left"
