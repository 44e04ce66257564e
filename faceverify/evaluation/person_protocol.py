"""The person-specific protocol: what an operator does, measured on LFW people nobody trained on.

For each chosen person: enroll 20 of their images (10 anchors, 10 positives) in a fresh home, import
LFW negatives, train the first model with the default recipe, then verify the person's other images
(genuine probes) and one image each of many other people (impostor probes) with the app's own rule
at the model's calibrated thresholds. People are split three ways and never cross: the chosen
people, the negatives' people (70% of the rest) and the impostors' people (30%). Each first model is
fine-tuned from the shipped generic model (trained on the negatives' people of the default split only),
from ``pretrained`` where given (train it on the negatives' people only, or the figures leak), or from
scratch; ``one_shot`` skips training and verifies with the shipped model as a new user does.

With ``camera`` set, one simulated camera look is applied to the enrolled images and to every probe,
never to the negatives: the same-camera protocol, where a model that learned the camera instead of
the face accepts impostors.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from faceverify.enrollment.enroll import import_lfw
from faceverify.enrollment.lfw import read_people_file
from faceverify.errors import DatasetError
from faceverify.faces.look import CameraLook
from faceverify.faces.pipeline import prepare, read_image
from faceverify.files import atomic
from faceverify.home.store import Store
from faceverify.model.current import calibrated_thresholds
from faceverify.training.config import TrainingConfig
from faceverify.training.pairs import split_keys
from faceverify.training.trainer import Trainer
from faceverify.verification.levels import LEVELS
from faceverify.verification.metrics import evaluate_scores
from faceverify.verification.rule import THRESHOLD_SETTINGS, deciding_scores
from faceverify.verification.thresholds import threshold
from faceverify.verification.verifier import Verifier

ENROLLED = 20  # images an operator captures: half anchors, half positives
MAX_GENUINE = 100  # genuine probes per person at most
NEGATIVES_SHARE = 0.7  # of the people not chosen: negatives; the rest are impostors

Say = Callable[[str], None]


@dataclass(frozen=True)
class Trial:
    """One person's result: probe counts, training time, the rule's errors and the threshold-free figures."""

    person: str
    genuine: int
    impostors: int
    training_seconds: float
    detection_threshold: float
    verification_threshold: float
    far: float  # impostor probes verified, at the model's thresholds
    frr: float  # genuine probes rejected, at the model's thresholds
    far_seed_thresholds: float  # the same at the seed's 0.5 / 0.5
    frr_seed_thresholds: float
    roc_auc: float  # over each probe's deciding score (rule.deciding_scores)
    eer: float
    validation_eer: float  # what the training's calibration saw on its validation split
    model_replaced: bool  # False: the training's model did not beat the shipped one and was not kept
    levels: dict  # per security level: the person's threshold, the cohort's and the probes' FAR, FRR


@dataclass(frozen=True)
class PersonProtocol:
    """Which people, how many, and which camera; ``training`` is the recipe under test."""

    lfw_dir: Path
    people_file: Path
    persons: int = 3
    seed: int = 0
    camera: CameraLook | None = None
    training: TrainingConfig = field(default_factory=TrainingConfig)
    impostors: int = 300  # impostor people per person
    impostor_images: int = 1  # images of each impostor person verified (at most)
    negative_people: int | None = None  # None: every negatives' person (a few for quick checks)
    pretrained: Path | None = None  # a generic model each first model is fine-tuned from (default: the shipped one)
    one_shot: bool = False  # no training: verify with the shipped model and its thresholds

    def people(self) -> tuple[list[tuple[str, int]], list[str], list[str]]:
        """(chosen people with their image counts, the negatives' people, the impostors' people)."""
        listed = read_people_file(self.people_file)
        eligible = [(n, c) for n, c in listed if c >= ENROLLED + 10]
        if len(eligible) < self.persons:
            raise DatasetError(f"{self.people_file}: only {len(eligible)} people have {ENROLLED + 10} or more images")
        chosen = [eligible[i] for i in np.random.default_rng(self.seed).permutation(len(eligible))[: self.persons]]
        rest = [n for n, _ in listed if n not in {c for c, _ in chosen}]
        negatives, impostors = split_keys(rest, self.seed, NEGATIVES_SHARE)
        return chosen, negatives[: self.negative_people], impostors[: self.impostors]

    def run(self, work: Path | None = None, say: Say = lambda text: None) -> tuple[dict, np.ndarray, np.ndarray]:
        """Run every trial; returns the report, and every probe's deciding score and label (for the ROC plot)."""
        chosen, negatives, impostors = self.people()
        with tempfile.TemporaryDirectory(prefix="faceverify-protocol-") as temporary:
            work = Path(work or temporary)
            base = Store(work / "negatives-home")
            if not base.negatives_dir.is_dir():
                say(f"importing the negatives of {len(negatives)} people ...")
                import_lfw(base.ensure(), self.lfw_dir, set(negatives))
            trials, scores, labels = [], [], []
            for name, _ in chosen:
                say(f"{name}: enrolling {ENROLLED} images and training the first model ...")
                trial, probe_scores, probe_labels = self._trial(name, base, impostors, work / "trial-home")
                say(f"{name}: FAR {trial.far:.3f} FRR {trial.frr:.3f} EER {trial.eer:.3f} "
                    f"(trained in {trial.training_seconds:.0f} s)")
                trials.append(trial)
                scores.append(probe_scores)
                labels.append(probe_labels)
        return self._report(trials), np.concatenate(scores), np.concatenate(labels)

    def _images(self, person: str) -> list[Path]:
        folder = self.lfw_dir / person
        return sorted(folder.glob("*.jpg")) if folder.is_dir() else []

    def _crops(self, paths: list[Path], salt: int) -> np.ndarray:
        """Face crops of image files, through the simulated camera when there is one."""
        crops = []
        for index, path in enumerate(paths):
            rgb = read_image(path)
            if self.camera:
                rgb = self.camera.apply(rgb, salt * 100_000 + index)
            crops.append(prepare(rgb).pixels)
        return np.stack(crops)

    def _trial(self, name: str, base: Store, impostors: list[str], home: Path) -> tuple[Trial, np.ndarray, np.ndarray]:
        shutil.rmtree(home, ignore_errors=True)
        store = Store(home).ensure()
        shutil.copytree(base.negatives_dir, store.negatives_dir, copy_function=os.link)
        images = self._images(name)
        order = np.random.default_rng([self.seed, len(images)]).permutation(len(images))
        enrolled = [images[i] for i in order[:ENROLLED]]
        genuine = [images[i] for i in order[ENROLLED:][:MAX_GENUINE]]
        for k, crop in enumerate(self._crops(enrolled, salt=1)):
            store.add_image(name, "anchor" if k % 2 == 0 else "positive", crop)
        if self.pretrained:
            atomic.make_private_dir(store.model_path.parent)
            shutil.copyfile(self.pretrained, store.model_path)
        started = time.monotonic()
        replaced = self.one_shot or Trainer(store, self._recipe()).run().replaced
        seconds = time.monotonic() - started

        impostor_files = [f for files in map(self._images, impostors) for f in files[: self.impostor_images]]
        probes = np.concatenate([self._crops(genuine, salt=2), self._crops(impostor_files, salt=3)])
        labels = np.r_[np.ones(len(genuine)), np.zeros(len(impostor_files))]
        verifier = Verifier(store)
        scores = verifier.scores(name, probes)  # (probes, positives)
        detection, verification = threshold(store, "detection_threshold"), threshold(store, "verification_threshold")

        def errors(detection: float, verification: float) -> tuple[float, float]:
            accepted = deciding_scores(scores, verification) > detection  # exactly the rule's decisions
            return float(np.mean(accepted[labels == 0])), float(np.mean(~accepted[labels == 1]))

        deciding = deciding_scores(scores, verification)
        report = evaluate_scores(deciding, labels)
        seed_thresholds = THRESHOLD_SETTINGS["detection_threshold"], THRESHOLD_SETTINGS["verification_threshold"]
        validation_eer = calibrated_thresholds(store).get("validation", {}).get("eer", float("nan"))
        levels = {}
        for level in LEVELS.values():
            found = verifier.level_threshold(name, level, verification)
            levels[level.name] = {"threshold": found.threshold, "cohort_far": found.cohort_far,
                                  "own_frr": found.own_frr, **dict(zip(("far", "frr"),
                                                                       errors(found.threshold, verification)))}
        trial = Trial(name, len(genuine), len(impostor_files), round(seconds, 1), detection, verification,
                      *errors(detection, verification), *errors(*seed_thresholds), report.roc_auc, report.eer,
                      validation_eer, replaced, levels)
        shutil.rmtree(home, ignore_errors=True)
        return trial, deciding, labels

    def _recipe(self) -> TrainingConfig:
        return replace(self.training, seed=self.seed, fine_tune=self.pretrained is not None)

    def _report(self, trials: list[Trial]) -> dict:
        """Each trial, and their means (the protocol's figures)."""
        summary = {key: float(np.mean([getattr(t, key) for t in trials]))
                   for key in ("far", "frr", "far_seed_thresholds", "frr_seed_thresholds", "roc_auc", "eer",
                               "validation_eer", "training_seconds")}
        summary["levels"] = {level: {key: float(np.mean([t.levels[level][key] for t in trials]))
                                     for key in ("far", "frr", "cohort_far")} for level in LEVELS}
        camera = asdict(self.camera) if self.camera else None
        return {"protocol": "person-specific" + (", one-shot" if self.one_shot else "")
                + (", same camera" if self.camera else ""), "camera": camera,
                "training": None if self.one_shot else asdict(self._recipe()),
                "pretrained": str(self.pretrained) if self.pretrained else None,
                "enrolled": ENROLLED, **summary,
                "trials": [asdict(t) for t in trials]}
