"""Nothing lost: a training killed with SIGKILL leaves the previous model usable, ``--resume`` continues from the
last checkpoint, and verifying while a training runs uses the old model until the new one is complete.

One real scenario (about two minutes on two cores): a small home made with the real command line from real LFW
faces (one person, 6 anchors + 6 positives; 8 negatives of 4 other people), a first model, then three trainings
of the ``faceverify`` script: killed right after its first checkpoint, resumed and killed at a random moment,
resumed to the end. The previous model is checked byte for byte and by verifying with it after every kill.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from faceverify.files import atomic
from faceverify.home.store import Store
from helpers import lfw_images, run_cli, run_script, script_command, sha256

pytestmark = pytest.mark.slow

ENROLLED = "Colin_Powell"
NEGATIVE_PEOPLE = ["Tony_Blair", "Laura_Bush", "Gerhard_Schroeder", "Ariel_Sharon"]
TRAIN = ["--epochs", "3", "--steps-per-epoch", "1", "--batch-size", "8", "--replace-if-worse"]
OBSERVED: dict[str, object] = {}  # what the scenario saw, for the checks that follow it


def _start_training(home: Path, log: Path, *args: str) -> subprocess.Popen:
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        return subprocess.Popen([*script_command(), "--home", str(home), "train", *args], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)


def _kill(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL: no finally, no atexit, no flush
    assert process.wait(timeout=60) == -9


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 400) -> float:
    """Seconds until ``path`` exists; fails if the process ends first."""
    start = time.monotonic()
    while not path.exists():
        assert process.poll() is None, f"training ended ({process.returncode}) before {path.name} appeared"
        assert time.monotonic() - start < timeout, f"no {path.name} after {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - start


def _verify(capsys, home: Path, probe: Path) -> str:
    """Verify with whatever model the home holds now; the model version used (the model must load)."""
    status, out, err = run_cli(capsys, "--home", home, "verify", "Colin", probe, "--json")
    assert status in (0, 1), f"verification failed (status {status}): {err}"
    return json.loads(out)[0]["model_version"]


def _assert_previous_model_intact(home: Path, expected_hash: str, capsys, probe: Path, version: str) -> None:
    model = Store(home).model_path
    assert sha256(model) == expected_hash, "the previous model was changed by a killed training"
    kept = {model.name, model.with_suffix(".tflite").name, "calibration.json", "cohort.json"}  # + export, levels cohort
    assert not [p.name for p in model.parent.iterdir() if p.name not in kept and p.is_file()], "temporary left"
    assert _verify(capsys, home, probe) == version


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> tuple[Path, Path]:
    """(home with a first trained model, a probe image of the enrolled person that was not enrolled)."""
    faces = lfw_images(ENROLLED, 13)
    root = tmp_path_factory.mktemp("crash")
    for person in NEGATIVE_PEOPLE:  # a small LFW-layout folder of real faces (copied into tmp, read-only source)
        (root / "lfw" / person).mkdir(parents=True)
        for path in lfw_images(person, 2):
            shutil.copy(path, root / "lfw" / person / path.name)
    home = root / "home"
    for args in (["enroll", "Colin", "--from", *faces[:12]], ["import-lfw", root / "lfw"],
                 ["train", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8", "--replace-if-worse"]):
        done = run_script("--home", home, *args, timeout=400)
        assert done.returncode == 0, done.stderr
    assert [(p.anchors, p.positives) for p in Store(home).people()] == [(6, 6)]
    assert Store(home).negative_count() == 8
    return home, faces[12]


def test_sigkill_keeps_the_previous_model_and_resume_continues(home, capsys):
    home, probe = home
    store = Store(home)
    state_file = store.checkpoints_dir / "training.json"
    old_hash = sha256(store.model_path)
    old_version = _verify(capsys, home, probe)

    # 1. Killed right after its first checkpoint; verifying while it ran used the old model.
    started = time.monotonic()
    training = _start_training(home, home.parent / "killed", *TRAIN)
    assert _verify(capsys, home, probe) == old_version
    assert training.poll() is None, "the verification above was meant to run during the training"
    _wait_for(state_file, training)
    _kill(training)
    first_checkpoint = time.monotonic() - started
    state = json.loads(state_file.read_text())
    OBSERVED["checkpoint_modes"] = {p.name: oct(p.stat().st_mode & 0o777) for p in store.checkpoints_dir.iterdir()}
    assert [e["epoch"] for e in state["history"]] == [1]
    _assert_previous_model_intact(home, old_hash, capsys, probe, old_version)

    # 2. Resumed, then killed again at a random moment (start-up, restoring, mid-epoch 2 or its checkpoint).
    delay = random.uniform(0.3, 0.9) * first_checkpoint
    training = _start_training(home, home.parent / "killed_again", "--resume")
    time.sleep(delay)
    assert training.poll() is None, f"the resumed training ended within {delay:.1f} s"
    _kill(training)
    again = json.loads(state_file.read_text())
    assert again["history"][0] == state["history"][0], f"killed after {delay:.1f} s: the first epoch was lost"
    _assert_previous_model_intact(home, old_hash, capsys, probe, old_version)

    # 3. Resumed to the end; verifying during it still uses the old model, afterwards the new one.
    training = _start_training(home, home.parent / "resumed", "--resume")
    assert _verify(capsys, home, probe) == old_version
    assert training.poll() is None, "the verification above was meant to run during the training"
    assert training.wait(timeout=400) == 0, (home.parent / "resumed.err").read_text()
    progress = (home.parent / "resumed.err").read_text()
    assert "epoch 3/3" in progress and "epoch 1/3" not in progress, "resume did not start after the checkpoint"
    history = json.loads((store.results_dir / "training.json").read_text())["history"]
    assert [e["epoch"] for e in history] == [1, 2, 3]
    assert history[0] == state["history"][0], "epoch 1 was trained again instead of restored"
    assert sha256(store.model_path) != old_hash
    assert not store.checkpoints_dir.exists()
    new_version = _verify(capsys, home, probe)
    assert new_version != old_version
    print(f"first checkpoint after {first_checkpoint:.1f} s; second kill after {delay:.1f} s")


def test_checkpoint_files_are_owner_only():
    modes = OBSERVED.get("checkpoint_modes")
    if modes is None:
        pytest.skip("the SIGKILL scenario did not get as far as a checkpoint")
    assert {name: mode for name, mode in modes.items() if mode != "0o600"} == {}


def test_sigkill_while_writing_leaves_the_old_file_and_its_temporary_is_cleaned_later(tmp_path):
    """What every atomic write (model, embedding cache, settings, crops) relies on, killed mid-write."""
    target = tmp_path / "model" / "siamese.keras"
    atomic.write_bytes(target, b"the previous model " * 1000)
    before = target.read_bytes()
    writer = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from faceverify.files import atomic
        with atomic.atomic_path(Path(sys.argv[1])) as tmp, open(tmp, "wb") as file:
            file.write(b"half of a new model" * 100_000)
            file.flush()
            print("writing", flush=True)
            time.sleep(120)
    """)
    child = subprocess.Popen([sys.executable, "-c", writer, str(target)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "writing\n"
    _kill(child)
    child.stdout.close()
    assert target.read_bytes() == before
    [leftover] = [p for p in target.parent.iterdir() if p != target]
    assert atomic.remove_stale_temporaries(target) == 0  # recent: it could belong to a writer still at work
    old = time.time() - 2 * atomic.STALE_AFTER_S
    os.utime(leftover, (old, old))
    assert atomic.remove_stale_temporaries(target) == 1
    assert list(target.parent.iterdir()) == [target] and target.read_bytes() == before


def test_saving_a_model_removes_the_temporaries_of_killed_saves(tmp_path):
    from faceverify.model.network import make_siamese, save_model

    target = tmp_path / "model" / "siamese.keras"
    stale = atomic.make_private_dir(target.parent) / ".siamese.abc123.tmp.keras"
    stale.write_bytes(b"half a model")
    old = time.time() - 2 * atomic.STALE_AFTER_S
    os.utime(stale, (old, old))
    save_model(make_siamese(), target)  # a model of faceverify's network: saving also writes its runtime export
    assert target.is_file() and target.with_suffix(".tflite").is_file() and not stale.exists()


def test_staging_folders_of_a_killed_import_are_removed_by_the_next_import(tmp_path):
    from faceverify.enrollment.enroll import import_lfw
    from helpers import lfw_style_folder

    store = Store(tmp_path / "home").ensure()
    abandoned = atomic.make_private_dir(store.root / ".import-0123abcd" / "negatives" / "Someone")
    (abandoned / "Someone_0001.png").write_bytes(b"half an import")
    recent = atomic.make_private_dir(store.root / ".import-4567ef")  # new, but the writer lock proves nobody runs
    import_lfw(store, lfw_style_folder(tmp_path / "src", people=2, per_person=1))
    assert sorted(p.name for p in store.root.iterdir() if p.name != ".lock") == ["negatives"]
    assert not recent.exists() and store.negative_count() == 2


def test_resume_through_another_spelling_of_the_home_keeps_the_checkpoint(tmp_path, monkeypatch):
    from conftest import make_small_store
    from faceverify.training.trainer import Trainer, TrainingCancelled, TrainingConfig

    monkeypatch.chdir(tmp_path)
    store = make_small_store(Path("home"))  # trained as `faceverify --home home train ...`
    seen = []
    with pytest.raises(TrainingCancelled):  # stopped at the first step of epoch 2: epoch 1 is checkpointed
        Trainer(store, TrainingConfig(epochs=2, steps_per_epoch=1, batch_size=8), on_progress=seen.append,
                should_stop=lambda: any(p.last_epoch for p in seen)).run()
    state = store.checkpoints_dir / "training.json"
    assert state.is_file()
    with pytest.raises(TrainingCancelled):  # resumed as `faceverify --home /abs/path/home train --resume`
        Trainer.resume(Store(tmp_path / "home"), should_stop=lambda: True).run()
    assert state.is_file(), "the checkpoint of epoch 1 was thrown away"
