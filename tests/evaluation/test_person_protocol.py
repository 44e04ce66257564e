"""The person-specific and same-camera protocols on real LFW people (a tiny training: logic, not accuracy)."""
from __future__ import annotations

import pytest

from faceverify.cli.commands import main
from faceverify.evaluation.person_protocol import ENROLLED, PersonProtocol
from faceverify.faces.look import CameraLook
from faceverify.training.trainer import TrainingConfig


def protocol(shared_data, **changes) -> PersonProtocol:
    quick = TrainingConfig(epochs=1, steps_per_epoch=1, batch_size=16)
    settings = dict(persons=1, impostors=12, negative_people=30, training=quick) | changes
    return PersonProtocol(shared_data / "lfw", shared_data / "peopleDevTrain.txt", **settings)


def test_people_are_split_three_ways_and_reproducibly(shared_data):
    chosen, negatives, impostors = protocol(shared_data, persons=3, impostors=300, negative_people=None).people()
    names = {name for name, _ in chosen}
    assert len(names) == 3 and all(count >= ENROLLED + 10 for _, count in chosen)
    assert not names & set(negatives) and not names & set(impostors) and not set(negatives) & set(impostors)
    assert len(impostors) == 300 and len(negatives) == round(0.7 * (4038 - 3))  # View 1's training people
    assert protocol(shared_data, persons=3, impostors=300, negative_people=None).people() == (
        chosen, negatives, impostors)


@pytest.mark.slow
def test_a_trial_enrolls_trains_and_verifies_people_nobody_trained_on(shared_data, tmp_path):
    (person, count), = protocol(shared_data).people()[0]
    report, scores, labels = protocol(shared_data).run(tmp_path / "work")
    trial, = report["trials"]
    assert trial["person"] == person
    assert trial["genuine"] == min(count - ENROLLED, 100) and trial["impostors"] == 12
    assert len(scores) == len(labels) == trial["genuine"] + 12 and labels.sum() == trial["genuine"]
    assert 0 <= trial["far"] <= 1 and 0 <= trial["frr"] <= 1 and 0 <= trial["roc_auc"] <= 1
    assert 0 < trial["detection_threshold"] < 1 and trial["training_seconds"] > 0
    assert report["far"] == trial["far"] and report["protocol"] == "person-specific"
    assert (tmp_path / "work" / "negatives-home" / "negatives").is_dir()  # kept for the next run
    assert not (tmp_path / "work" / "trial-home").exists()


def test_the_same_camera_protocol_shows_every_probe_through_the_camera(shared_data):
    files = sorted((shared_data / "lfw" / "Colin_Powell").glob("*.jpg"))[:3]
    plain = protocol(shared_data)._crops(files, salt=2)
    seen = protocol(shared_data, camera=CameraLook())._crops(files, salt=2)
    assert seen.shape == plain.shape == (3, 100, 100, 3)
    assert seen[..., 0].mean() > 1.05 * plain[..., 0].mean() and seen[..., 2].mean() < 0.9 * plain[..., 2].mean()


@pytest.mark.parametrize("extra, message", [
    ([], "--person-protocol needs --lfw"),
    (["--lfw", "{tmp}/lfw"], "No people file at"),
])
def test_protocol_usage_errors_are_one_line(tmp_path, capsys, extra, message):
    (tmp_path / "lfw").mkdir()
    args = ["--home", str(tmp_path / "home"), "evaluate", "--person-protocol"]
    assert main(args + [a.format(tmp=tmp_path) for a in extra]) == 2
    assert message in capsys.readouterr().err
