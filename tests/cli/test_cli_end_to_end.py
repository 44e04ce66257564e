"""The whole command line on real faces: enroll, import LFW from a tgz, train, verify, identify, evaluate, log.

Two training steps cannot make an accurate model; this test proves that every command works
together on real data and that each result obeys the decision rule it reports.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from faceverify.cli.commands import main
from faceverify.model.current import save_calibration

PERSON = "Colin_Powell"
NEGATIVE_PEOPLE = ["Aaron_Eckhart", "Abdullah_Gul", "Adrien_Brody", "Ai_Sugiyama", "Al_Gore", "Alejandro_Toledo",
                   "Ali_Naimi", "Alvaro_Uribe", "Amelie_Mauresmo", "Ana_Guevara", "Andre_Agassi", "Andy_Roddick"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def lfw_tgz(lfw_dir, tmp_path_factory) -> tuple[Path, int]:
    """A small LFW slice packed as lfw.tgz, the way users download it, and its number of images."""
    path = tmp_path_factory.mktemp("lfw") / "lfw.tgz"
    count = 0
    with tarfile.open(path, "w:gz") as tar:
        for person in NEGATIVE_PEOPLE:
            for image in sorted((lfw_dir / person).glob("*.jpg"))[:4]:
                tar.add(image, arcname=f"lfw/{person}/{image.name}")
                count += 1
    return path, count


@pytest.mark.slow
def test_enroll_import_train_verify_identify(lfw_dir, lfw_tgz, tmp_path, capsys):
    home = tmp_path / "home"
    enroll_dir = tmp_path / "enroll"
    enroll_dir.mkdir()
    for image in sorted((lfw_dir / PERSON).glob("*.jpg"))[:20]:
        shutil.copy(image, enroll_dir)
    held_back = lfw_dir / PERSON / f"{PERSON}_0030.jpg"
    stranger = lfw_dir / "George_W_Bush" / "George_W_Bush_0001.jpg"

    code, out, _ = run(capsys, "--home", home, "enroll", PERSON, "--from", enroll_dir)
    assert code == 0 and "added 10 anchor and 10 positive" in out

    tgz, count = lfw_tgz
    code, out, _ = run(capsys, "--home", home, "import-lfw", tgz)
    assert code == 0 and f"imported {count} negatives" in out
    code, out, _ = run(capsys, "--home", home, "import-lfw", tgz)
    assert code == 0 and f"imported 0 negatives ({count} already there" in out  # nothing added twice

    code, out, err = run(capsys, "--home", home, "people")
    assert code == 0 and f"{PERSON}\t10 anchors\t10 positives" in out and f"{count} negative images" in err

    code, out, _ = run(capsys, "--home", home, "train", "--epochs", "1", "--steps-per-epoch", "2",
                       "--replace-if-worse")  # the flow, not the model's worth: two steps do not beat the shipped one
    assert code == 0 and "trained 1 epochs" in out and "model saved to" in out
    assert (home / "model" / "siamese.keras").is_file()

    calibrated = json.loads((home / "model" / "calibration.json").read_text())["detection_threshold"]
    code, out, _ = run(capsys, "--home", home, "verify", PERSON, held_back, stranger, "--level", "custom", "--json")
    results = json.loads(out)
    assert [r["image"] for r in results] == [str(held_back), str(stranger)]
    for r in results:
        assert r["person"] == PERSON and r["face_found"] and r["comparisons"] == 10
        assert r["detection_threshold"] == calibrated and r["verification_threshold"] == 0.5  # the model's own
        assert r["verified"] == (r["share"] > 0.5) and 0 <= r["mean_score"] <= 1
    assert code == (0 if all(r["verified"] for r in results) else 1)

    code, out, _ = run(capsys, "--home", home, "verify", PERSON, held_back, "--json",
                       "--detection-threshold", "0", "--verification-threshold", "0.99")
    assert json.loads(out)[0]["share"] == 1.0 and code == 0  # every score passes 0, so share 1 > 0.99

    code, out, _ = run(capsys, "--home", home, "identify", held_back, "--json")
    (result,) = json.loads(out)
    assert [c["person"] for c in result["candidates"]] == [PERSON]
    assert result["person"] == (PERSON if result["candidates"][0]["verified"] else "unknown")

    code, out, _ = run(capsys, "--home", home, "evaluate")
    assert code == 0 and "roc_auc" in out and (home / "results" / "validation_roc.png").is_file()

    code, out, _ = run(capsys, "--home", home, "log", "--json")
    logged = json.loads(out)
    assert [e["kind"] for e in logged] == ["identify", "verify", "verify", "verify"]
    assert all(e["source"] == "cli" for e in logged)

    code, out, _ = run(capsys, "--home", home, "people", "remove", PERSON)
    assert code == 0 and not (home / "people" / PERSON).exists()
    code, out, _ = run(capsys, "--home", home, "log", "--json")
    # only the identification stays, and only if it named nobody (an attempt naming the person goes with them)
    assert [e["person"] for e in json.loads(out)] == ([] if result["person"] == PERSON else ["unknown"])


def test_evaluate_on_lfw_pairs_files(lfw_dir, tmp_path, capsys):
    """View 1's one-number header and View 2's ten folds, on a few pairs of each (random, untrained model)."""
    from faceverify.home.store import Store
    from faceverify.model.network import make_siamese, save_model

    home = tmp_path / "home"
    save_model(make_siamese(), home / "model" / "siamese.keras")
    save_calibration(Store(home), {"detection_threshold": 0.37, "verification_threshold": 0.5})
    data = lfw_dir.parent
    view1 = tmp_path / "pairsDevTest.txt"
    lines = (data / "pairsDevTest.txt").read_text().splitlines()
    view1.write_text("\n".join(["3"] + lines[1:4] + lines[501:504]) + "\n")
    view2 = tmp_path / "pairs.txt"
    lines = (data / "pairs.txt").read_text().splitlines()
    view2.write_text("\n".join(["2\t2"] + lines[1:3] + lines[301:303] + lines[601:603] + lines[901:903]) + "\n")

    code, out, _ = run(capsys, "--home", home, "evaluate", "--pairs", view1, "--lfw", lfw_dir)
    report = json.loads((home / "results" / "lfw_pairsDevTest.json").read_text())
    assert code == 0 and report["n_positive"] == 3 and report["n_negative"] == 3
    assert report["threshold"] == 0.37  # the model's calibrated threshold, unless --threshold says otherwise
    assert (home / "results" / "lfw_pairsDevTest_roc.png").is_file()
    code, out, _ = run(capsys, "--home", home, "evaluate", "--pairs", view2, "--lfw", lfw_dir.parent)
    report = json.loads((home / "results" / "lfw_pairs.json").read_text())
    assert code == 0 and len(report["fold_accuracies"]) == 2 and report["n_positive"] == 4


def test_console_script_errors_are_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "faceverify", "--home", str(tmp_path / "h"), "verify", "Nobody",
                           "x.jpg"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["faceverify: Unknown person 'Nobody' (enrolled: nobody yet)"]
    assert not (tmp_path / "h").exists()  # an error changes nothing on disk


ONE_SHOT_PERSON = "Gerhard_Schroeder"  # a View 1 *test* person: the shipped model never saw him
ONE_SHOT_STRANGERS = ["Donald_Rumsfeld", "Jacques_Chirac", "Jennifer_Capriati", "Alvaro_Uribe", "Kofi_Annan",
                      "Silvio_Berlusconi", "Vicente_Fox", "Tom_Daschle"]


def test_one_shot_enroll_then_verify_with_the_shipped_model_and_no_training(lfw_dir, tmp_path, capsys):
    """A new user's first minutes: enroll 20 photos, verify at once. The shipped model decides at the default
    security level, with the person's own threshold; it errs at its measured rates (README), so most, not all,
    decisions must be right. The level round-trips through `faceverify level`, `verify --level` and the log."""
    from faceverify.model import shipped

    home = tmp_path / "home"
    photos = sorted((lfw_dir / ONE_SHOT_PERSON).glob("*.jpg"))
    code, out, _ = run(capsys, "--home", home, "enroll", ONE_SHOT_PERSON, "--from", *photos[:20])
    assert code == 0 and "added 10 anchor and 10 positive" in out
    genuine = photos[20:30]
    strangers = [lfw_dir / name / f"{name}_0001.jpg" for name in ONE_SHOT_STRANGERS]
    code, out, err = run(capsys, "--home", home, "verify", ONE_SHOT_PERSON, *genuine, *strangers, "--level", "custom",
                         "--json")
    assert code in (0, 1), err
    results = json.loads(out)
    assert len(results) == len(genuine) + len(strangers)
    assert {r["model_version"] for r in results} == {shipped.version()}
    assert {r["detection_threshold"] for r in results} == {shipped.calibration()["detection_threshold"]}
    accepted = [r["verified"] for r in results]
    assert sum(accepted[: len(genuine)]) >= 7, results  # at most 3 of his 10 other photos rejected
    assert sum(accepted[len(genuine):]) <= 2, results  # at most 2 of 8 strangers accepted
    assert not (home / "model" / "siamese.keras").exists()  # nothing was trained

    # the default level, Standard: his own threshold, far stricter; fewer strangers pass, and more of him fails
    code, out, err = run(capsys, "--home", home, "verify", ONE_SHOT_PERSON, *genuine, *strangers, "--json")
    results = json.loads(out)
    assert {r["level"] for r in results} == {"standard"} and len({r["detection_threshold"] for r in results}) == 1
    assert results[0]["detection_threshold"] > shipped.calibration()["detection_threshold"]
    accepted = [r["verified"] for r in results]
    assert sum(accepted[len(genuine):]) == 0, results
    assert sum(accepted[: len(genuine)]) >= 3, results  # README: 41% of genuine single images rejected at Standard
    code, out, _ = run(capsys, "--home", home, "people")
    assert code == 0 and f"Standard: threshold {results[0]['detection_threshold']:.3f}" in out
    assert "unseen faces pass" in out

    code, out, _ = run(capsys, "--home", home, "level", "high")
    assert code == 0 and "* High: about 1 stranger in 1,000 accepted" in out
    code, out, _ = run(capsys, "--home", home, "verify", ONE_SHOT_PERSON, str(strangers[0]), "--json")
    high = json.loads(out)[0]
    assert high["level"] == "high" and high["detection_threshold"] >= results[0]["detection_threshold"]
    code, out, _ = run(capsys, "--home", home, "verify", ONE_SHOT_PERSON, str(strangers[0]), "--level", "custom",
                       "--json")
    assert json.loads(out)[0]["detection_threshold"] == shipped.calibration()["detection_threshold"]
    code, out, _ = run(capsys, "--home", home, "log", "--json", "--limit", "2")
    assert [entry["level"] for entry in json.loads(out)] == ["custom", "high"]  # the audit log records it
    code, _, err = run(capsys, "--home", home, "verify", ONE_SHOT_PERSON, str(strangers[0]), "--level", "high",
                       "--detection-threshold", "0.5")
    assert code == 2 and "not both" in err
