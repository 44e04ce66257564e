"""Liveness settings (stored with the other settings, the `liveness` command) and the result's JSON and audit form."""
from __future__ import annotations

import json

from faceverify.liveness.challenge import DEFAULT_PROMPTS, DEFAULT_SECONDS, Challenge, Direction
from faceverify.liveness.live_challenge import NOT_CHECKED, LivenessResult, LivenessSettings
from helpers import run_cli


def test_settings_default_to_on_and_bad_values_count_as_defaults():
    assert LivenessSettings.from_settings({}) == LivenessSettings(True, DEFAULT_PROMPTS, DEFAULT_SECONDS)
    odd = {"liveness": "no", "liveness_prompts": 0, "liveness_seconds": "fast"}
    assert LivenessSettings.from_settings(odd) == LivenessSettings()
    assert LivenessSettings.from_settings({"liveness_prompts": True, "liveness_seconds": 1e9}) == LivenessSettings()
    chosen = LivenessSettings(False, 3, 10.0)
    assert LivenessSettings.from_settings(chosen.to_settings()) == chosen


def test_the_liveness_command_stores_each_change_and_keeps_the_rest(tmp_path, capsys):
    home = tmp_path / "home"
    status, out, _ = run_cli(capsys, "--home", home, "liveness")
    assert status == 0 and "on for camera verifications, 2 head turn(s), 6 s" in out
    assert not home.exists()  # showing the settings writes nothing
    assert run_cli(capsys, "--home", home, "liveness", "--prompts", "3", "--seconds", "9")[0] == 0
    status, out, _ = run_cli(capsys, "--home", home, "liveness", "--off")
    assert status == 0 and "off (a photo held up to the camera can be verified)" in out
    saved = json.loads((home / "settings.json").read_text())
    assert saved == {"liveness": False, "liveness_prompts": 3, "liveness_seconds": 9.0}
    status, _, err = run_cli(capsys, "--home", home, "liveness", "--prompts", "9")
    assert status == 2 and "must be between 1 and 5, not 9" in err
    assert json.loads((home / "settings.json").read_text()) == saved


def test_a_result_says_checked_passed_and_why():
    challenge = Challenge([Direction.LEFT])
    result = LivenessResult.of(challenge.cancel())
    assert result.to_json() == {"checked": True, "passed": False, "reason": "The check was cancelled"}
    assert result.audit_value == "failed" and NOT_CHECKED.audit_value == "not checked"
    assert len(LivenessSettings(prompts=4).challenge().prompts) == 4
