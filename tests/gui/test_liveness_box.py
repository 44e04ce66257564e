"""The liveness check's switch and settings in the window: the operator's (hidden from the end user), saved as
`faceverify liveness` saves them, and what the next Verify runs."""
import pytest

from faceverify.errors import FaceverifyError
from faceverify.gui import jobs
from faceverify.gui.workers import Task
from faceverify.home import operator
from faceverify.home.store import Store
from faceverify.liveness.live_challenge import LivenessSettings
from helpers import run_cli


def test_the_operator_turns_liveness_off_and_sets_its_prompts_and_time(open_gui, home, capsys):
    window = open_gui(97)
    box = window.verify_tab.liveness
    assert not box.isHidden() and box.enabled.isChecked() and box.warning.isHidden()
    assert (box.prompts.value(), box.seconds.value()) == (2, 6)
    box.prompts.setValue(3)
    box.seconds.setValue(10)
    assert LivenessSettings.from_settings(Store(home).load_settings()) == LivenessSettings(True, 3, 10.0)
    assert "on for camera verifications, 3 head turn(s), 10 s for each" in run_cli(capsys, "--home", home,
                                                                                     "liveness")[1]
    box.enabled.setChecked(False)
    assert not box.warning.isHidden() and not box.prompts.isEnabled() and not box.seconds.isEnabled()
    assert "liveness check: off" in run_cli(capsys, "--home", home, "liveness")[1]
    assert not LivenessSettings.from_settings(Store(home).load_settings()).enabled

    run_cli(capsys, "--home", home, "liveness", "--on", "--prompts", "1")  # the CLI beside the window
    operator.set_password(Store(home), "operator-secret")
    window.lock.lock()
    assert box.isHidden(), "the end user cannot turn it off"
    assert window.lock.unlock("operator-secret")
    assert not box.isHidden() and box.enabled.isChecked() and box.prompts.value() == 1, "shows what the CLI saved"


def test_verify_runs_the_challenge_the_box_set(open_gui, home, monkeypatch):
    window = open_gui(97)
    box, context = window.verify_tab.liveness, window.context
    asked = []

    def decide_live(feed, decisions, name, detection, verification, challenge, **callbacks):
        asked.append(None if challenge is None else len(challenge.prompts))
        raise FaceverifyError("the decision itself is tested with a real camera elsewhere")

    monkeypatch.setattr(jobs, "decide_live", decide_live)
    monkeypatch.setattr(context, "decisions", lambda: None)
    box.prompts.setValue(4)
    for enabled in (True, False):
        box.enabled.setChecked(enabled)
        with pytest.raises(FaceverifyError):
            jobs.verify_burst(Task(jobs.verify_burst), context, "Ada", 0.5, 0.5)
    assert asked == [4, None]
