"""The Python API: the README's example run as written, and each call against the core it stands for."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import faceverify
from faceverify.errors import FaceverifyError, ImageError, UnknownPersonError
from faceverify.faces.pipeline import prepare_file, read_image
from faceverify.home.audit import AuditLog
from faceverify.model.network import save_model
from siamese_fixtures import calibrated_siamese

README = Path(__file__).resolve().parents[1] / "README.md"
PERSON, STRANGER = "Tony_Blair", "Ariel_Sharon"


def readme_example() -> str:
    """The Python block of the README's "Python API" section."""
    section = README.read_text("utf-8").split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def model_for(home: Path, images: list[Path]) -> None:
    """A model whose answer is known (see test_verifier): an image's crop matches only itself."""
    crops = np.stack([prepare_file(path).pixels for path in images])
    (home / "model").mkdir(parents=True, exist_ok=True)
    save_model(calibrated_siamese(crops, seed=2, identical_only=True), home / "model" / "siamese.keras")


def test_the_readme_example_runs_as_written(lfw_dir, tmp_path):
    ada = sorted((lfw_dir / PERSON).glob("*.jpg"))[:2]
    for name, source in (("ada1.jpg", ada[0]), ("ada2.jpg", ada[1]), ("probe.jpg", ada[1])):
        shutil.copy(source, tmp_path / name)
    model_for(tmp_path / "faces", [*ada, lfw_dir / STRANGER / f"{STRANGER}_0001.jpg"])
    done = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # ada1 became an anchor and ada2 a positive; the probe is ada2 again: 1 of 1 comparisons passes
    assert done.stdout.strip() == "['Ada Lovelace'] True 100%"


def test_import_loads_nothing_heavy():
    code = ("import sys, faceverify; fv = faceverify.open('unused'); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr[-2000:]


def test_frames_identify_and_remove(lfw_dir, tmp_path):
    own = sorted((lfw_dir / PERSON).glob("*.jpg"))[:3]
    stranger = sorted((lfw_dir / STRANGER).glob("*.jpg"))[:2]
    home = tmp_path / "home"
    model_for(home, [*own, *stranger])
    with faceverify.open(home) as fv:
        fv.enroll(PERSON, own, role="positive")
        assert fv.people() == [PERSON]
        frames = [read_image(path) for path in own[:2]]  # RGB numpy frames, as a camera gives them
        burst = fv.verify_frames(PERSON, frames, detection_threshold=0.5, verification_threshold=0.2)
        assert burst.accepted and burst.decision.comparisons == 2 * 3
        assert burst.decision.share == pytest.approx(1 / 3)  # each frame matches its own image only
        rejected = fv.verify_frames(PERSON, [read_image(p) for p in stranger], detection_threshold=0.5,
                                    verification_threshold=0.2)
        assert not rejected.accepted and rejected.decision.share == 0
        identified = fv.identify(own[0], verification_threshold=0.2)
        assert identified.person == PERSON
        # a home model without a cohort (no held-out negatives) cannot keep a level: its own threshold, said as custom
        assert identified.decision.level == "custom" and identified.decision.detection_threshold == 0.5
        assert fv.identify(stranger[0], verification_threshold=0.2).person == "unknown"
        with pytest.raises(ImageError, match="RGB uint8"):
            fv.verify_frames(PERSON, [frames[0][..., 0]])
        with pytest.raises(UnknownPersonError):
            fv.verify("Nobody", own[0])
        assert fv.remove(PERSON) == 3  # two verifications and one identification named the person
        assert fv.people() == []
    with AuditLog(home / "audit.sqlite") as log:
        assert [(e.person, e.source) for e in log.recent(10)] == [("unknown", "cli")]


def test_the_security_level_round_trips_through_the_api(lfw_dir, tmp_path):
    """The level is a setting of the home (saved, read back by another opening) and a per-call choice; each decision
    says which level set its threshold. The shipped model and its cohort decide."""
    home = tmp_path / "home"
    stranger = sorted((lfw_dir / STRANGER).glob("*.jpg"))[0]
    with faceverify.open(home) as fv:
        fv.enroll(PERSON, sorted((lfw_dir / PERSON).glob("*.jpg"))[:8])
        assert fv.level == "standard"
        fv.level = "high"
        assert faceverify.open(home).level == "high"
        with pytest.raises(FaceverifyError, match="Unknown security level"):
            fv.level = "paranoid"
        high = fv.verify(PERSON, stranger)
        standard = fv.verify(PERSON, stranger, level="standard")
        custom = fv.verify(PERSON, stranger, detection_threshold=0.3)
    assert (high.decision.level, standard.decision.level, custom.decision.level) == ("high", "standard", "custom")
    assert high.decision.detection_threshold > standard.decision.detection_threshold
    assert custom.decision.detection_threshold == 0.3 and high.to_json()["level"] == "high"
    with AuditLog(home / "audit.sqlite") as log:
        assert [e.level for e in log.recent(3)] == ["custom", "standard", "high"]
