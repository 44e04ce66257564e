"""Files faceverify wrote itself, damaged or moved (issue 13): a copied home decides exactly as the original, a
damaged embedding cache is recomputed, a model that outputs NaN is named as damaged and the attempt logged as an
error, a damaged checkpoint is one line on ``--resume``; and privacy leftovers: the crop of an identification of
nobody goes with the person who was its closest candidate, settings of the wrong type fall back to their default.

Real LFW faces, an untrained model saved as training saves one (seeded), the real command line; ``cp -a`` and
the ``faceverify`` script as real processes.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest

from faceverify.home.store import Store
from faceverify.model.current import model_version, save_calibration
from faceverify.verification.rule import decide
from faceverify.verification.thresholds import threshold
from helpers import assert_one_line_error, lfw_images, run_cli, run_script, sha256, snapshot

PERSON = "Colin_Powell"


@pytest.fixture(scope="module")
def probe() -> Path:
    return lfw_images(PERSON, 7)[6]


@pytest.fixture
def home(tmp_path) -> Path:
    """Ada enrolled from 6 real faces, with an untrained (seeded) model."""
    from faceverify.enrollment.enroll import enroll
    from faceverify.model.network import make_siamese, save_model

    home = tmp_path / "home"
    enroll(Store(home), "Ada", lfw_images(PERSON, 6))
    import keras

    keras.utils.set_random_seed(13)
    save_model(make_siamese(), Store(home).model_path)
    return home


def _crops(home: Path) -> int:
    with sqlite3.connect(Store(home).audit_path) as db:
        return db.execute("SELECT COUNT(*) FROM attempts WHERE crop IS NOT NULL").fetchone()[0]


# -- a home can be copied --------------------------------------------------------------------------------------
def test_a_copied_home_decides_exactly_as_the_original_and_keeps_its_embedding_cache(home, probe, tmp_path):
    from faceverify.faces.pipeline import prepare_file
    from faceverify.verification.verifier import Verifier

    store = Store(home)
    scores = Verifier(store).scores("Ada", prepare_file(probe).pixels[None]).ravel()
    # a calibrated threshold under which the probe's verdict differs from the default's (0.5)
    threshold = next(t for t in np.unique(np.clip(np.r_[scores - 1e-4, scores + 1e-4], 0, 1))
                     if decide("Ada", scores, t, 0.5, "").verified != decide("Ada", scores, 0.5, 0.5, "").verified)
    save_calibration(store, {"detection_threshold": float(threshold), "verification_threshold": 0.5})
    original = run_script("--home", home, "verify", "Ada", probe, "--json")
    cache = next(store.embeddings_dir.rglob("Ada.npz"))

    copy = tmp_path / "restored"
    subprocess.run(["cp", "-a", str(home), str(copy)], check=True)
    copied_cache = copy / cache.relative_to(home)
    cache_before = (sha256(copied_cache), copied_cache.stat().st_mtime_ns)
    copied = run_script("--home", copy, "verify", "Ada", probe, "--json")

    assert (original.returncode, copied.returncode) in ((0, 0), (1, 1)), original.stderr + copied.stderr
    first, second = json.loads(original.stdout)[0], json.loads(copied.stdout)[0]
    assert first["detection_threshold"] == second["detection_threshold"] == pytest.approx(threshold)
    for result in (first, second):
        del result["seconds"]
    assert first == second
    assert (sha256(copied_cache), copied_cache.stat().st_mtime_ns) == cache_before, "the cache was recomputed"


def test_the_model_is_hashed_once_per_file_not_once_per_process(home, monkeypatch):
    from faceverify.files import digest

    store = Store(home)
    save_calibration(store, {"detection_threshold": 0.3, "verification_threshold": 0.5})
    digest._cache.clear()  # as in a new process
    with monkeypatch.context() as patched:
        patched.setattr(digest.hashlib, "sha256", None)  # any hashing fails
        assert threshold(store, "detection_threshold") == 0.3 and model_version(store) is not None
    digest._cache.clear()
    os.utime(store.model_path, ns=(1, 1))  # same content, another time stamp: hashed again, still the same model
    assert threshold(store, "detection_threshold") == 0.3


def test_a_home_with_loose_permissions_is_made_owner_only(home, probe, capsys):
    os.chmod(home, 0o755)
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", probe)
    assert status == 0, err
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


# -- damaged files faceverify wrote itself -----------------------------------------------------------------------
@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not a zip", "wrong shape", "nan"])
def test_a_damaged_embedding_cache_is_recomputed(damage, home, probe, capsys):
    status, out, err = run_cli(capsys, "--home", home, "verify", "Ada", probe, "--json")
    assert status in (0, 1), err
    cache = next(Store(home).embeddings_dir.rglob("Ada.npz"))
    with np.load(cache) as saved:
        keys, embeddings = saved["keys"], saved["embeddings"]
    if isinstance(damage, bytes):
        cache.write_bytes(damage)
    else:
        damaged = embeddings[:, :10] if damage == "wrong shape" else embeddings * np.nan
        with open(cache, "wb") as handle:
            np.savez(handle, keys=keys, embeddings=damaged)
    again, out_again, err = run_cli(capsys, "--home", home, "verify", "Ada", probe, "--json")
    assert again == status and "Traceback" not in err, err
    assert [{**r, "seconds": 0} for r in json.loads(out_again)] == [{**r, "seconds": 0} for r in json.loads(out)]
    with np.load(cache) as saved:
        assert np.array_equal(saved["embeddings"], embeddings), "the damaged cache was not rewritten"


def test_a_model_that_outputs_nan_is_named_damaged_and_the_attempt_logged_as_an_error(home, probe, capsys):
    from faceverify.model.network import classifier_of, load_model, save_model

    store = Store(home)
    model = load_model(store.model_path)
    kernel, bias = classifier_of(model).get_weights()
    classifier_of(model).set_weights([kernel * np.nan, bias])
    save_model(model, store.model_path)
    for command in (["verify", "Ada", probe], ["identify", probe]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, "model", "is damaged", "NaN", "train again")
    status, out, err = run_cli(capsys, "--home", home, "log", "--json")
    logged = json.loads(out)
    assert status == 0 and [(e["kind"], e["person"], e["verified"]) for e in logged] == [
        ("identify", "unknown", False), ("verify", "Ada", False)]
    assert all("is damaged" in e["error"] for e in logged)
    status, out, _ = run_cli(capsys, "--home", home, "log")
    assert out.count("ERROR") == 2


# -- privacy leftovers --------------------------------------------------------------------------------------------
def test_removing_a_person_drops_the_crops_of_identifications_they_were_closest_to(home, probe, capsys):
    store = Store(home)
    store.save_settings(log_failed_crops=True)
    status, out, err = run_cli(capsys, "--home", home, "identify", probe, "--verification-threshold", "1.0")
    assert status == 1 and ": unknown — Ada" in out, err  # nobody identified (a share is never > 1), Ada closest
    assert _crops(home) == 1
    status, _, err = run_cli(capsys, "--home", home, "people", "remove", "Ada")
    assert status == 0, err
    assert _crops(home) == 0, "the crop logged because of Ada outlived her removal"
    status, out, _ = run_cli(capsys, "--home", home, "log", "--json")
    assert [(e["person"], e["candidate"], e["has_crop"]) for e in json.loads(out)] == [("unknown", None, False)]


@pytest.mark.parametrize("written", ['"false"', '"true"', "1", "null"])
def test_a_crop_setting_of_the_wrong_type_falls_back_to_not_logging(written, home, probe, capsys):
    store = Store(home)
    store.settings_path.write_text(f'{{"log_failed_crops": {written}, "detection_threshold": "0.2"}}')
    status, out, err = run_cli(capsys, "--home", home, "verify", "Ada", probe, "--json",
                               "--verification-threshold", "1.0")
    assert status == 1, err
    assert _crops(home) == 0, f"log_failed_crops = {written} was taken as true"
    assert json.loads(out)[0]["detection_threshold"] == 0.5, "a threshold written as a string was used"


# -- a damaged checkpoint ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_damaged_checkpoint_is_one_line_on_resume_and_the_model_is_untouched(home, tmp_path, capsys):
    from faceverify.training.trainer import Trainer, TrainingCancelled, TrainingConfig

    for name in ("Tony_Blair", "Laura_Bush", "Ariel_Sharon"):
        (tmp_path / "lfw" / name).mkdir(parents=True)
        for path in lfw_images(name, 2):
            shutil.copy(path, tmp_path / "lfw" / name / path.name)
    assert run_cli(capsys, "--home", home, "import-lfw", tmp_path / "lfw")[0] == 0
    store = Store(home)
    state = store.checkpoints_dir / "training.json"
    config = TrainingConfig(epochs=3, steps_per_epoch=1, batch_size=8, replace_if_worse=True)
    with pytest.raises(TrainingCancelled):  # stopped once the first epoch's checkpoint is saved
        Trainer(store, config, should_stop=state.exists).run()
    prefix = store.checkpoints_dir / json.loads(state.read_text())["checkpoint"]
    data = next(store.checkpoints_dir.glob(f"{prefix.name}.data-*"))
    model_before = sha256(store.model_path)

    with open(data, "r+b") as handle:  # cut short, as a full disk or a kill during a copy leaves it
        handle.truncate(data.stat().st_size // 2)
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "train", "--resume")
    assert_one_line_error(status, err, "the checkpoint is damaged: train again without --resume")
    assert snapshot(home) == before
    Path(f"{prefix}.index").unlink()  # an index file missing: no claim to resume either
    status, _, err = run_cli(capsys, "--home", home, "train", "--resume")
    assert_one_line_error(status, err, "the checkpoint is damaged: train again without --resume")
    assert "resuming" not in err and sha256(store.model_path) == model_before

    status, _, err = run_cli(capsys, "--home", home, "train", "--epochs", "3", "--steps-per-epoch", "1",
                             "--batch-size", "8", "--replace-if-worse")
    assert status == 0, err  # trained afresh
    assert sha256(store.model_path) != model_before and not store.checkpoints_dir.exists()
