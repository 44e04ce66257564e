"""Where a home stands, in plain words for either face: what is missing before training, an interrupted training
left behind, and whether the model a training made is good enough to use. No TensorFlow, no Qt."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from faceverify.errors import FaceverifyError
from faceverify.files.inputs import load_json
from faceverify.home.store import Store
from faceverify.model.trainability import MESSAGE, can_train
from faceverify.training.config import STATE_SCHEMA

MIN_PAIR_IMAGES = 2  # training needs at least this many anchors and positives of a person
UNUSABLE_EER = 0.35  # a validation equal error rate from here up (chance is 0.5): the model is not usable
GOOD_EER = 0.15  # up to here: good


def steps_done(store: Store) -> tuple[bool, bool, bool]:
    """The first-run steps: someone enrolled with enough images, negatives imported, a model of the home's own."""
    enrolled = any(p.anchors >= MIN_PAIR_IMAGES and p.positives >= MIN_PAIR_IMAGES for p in store.people())
    negatives = store.negatives_dir.is_dir() and any(store.negatives_dir.iterdir())
    return enrolled, negatives, store.has_own_model()


def training_blocker(store: Store) -> str | None:
    """Why a training cannot start yet, or None when there is something to train on (and TensorFlow to train with)."""
    if not can_train():
        return MESSAGE + "."
    enrolled, negatives, _ = steps_done(store)
    if not enrolled:
        return (f"Enroll someone first: at least {MIN_PAIR_IMAGES} anchor and {MIN_PAIR_IMAGES} positive images "
                "of one person.")
    if not negatives:
        return "Import negatives first: faces of other people, so that the model learns who is not the person."
    return None


@dataclass(frozen=True)
class Interrupted:
    """A training stopped before its end, whose checkpoints can continue it."""

    epochs_done: int
    epochs: int
    size_bytes: int

    def describe(self) -> str:
        return (f"An unfinished training was kept ({self.epochs_done} of {plural(self.epochs, 'epoch')} done, "
                f"{self.size_bytes / 2**20:,.0f} MB on disk).")


def interrupted_training(store: Store) -> Interrupted | None:
    """The training left in the store's checkpoints by a cancel or a crash, or None."""
    path = store.checkpoints_dir / "training.json"
    try:
        saved = load_json(path, str(path), STATE_SCHEMA)
        epochs_done, epochs = len(saved["history"]), int(saved["config"]["epochs"])
    except (OSError, KeyError, FaceverifyError):
        return None
    size = sum(f.stat().st_size for f in store.checkpoints_dir.iterdir() if f.is_file())
    return Interrupted(epochs_done, epochs, size)


def discard_interrupted(store: Store) -> None:
    """Delete an interrupted training's checkpoints."""
    shutil.rmtree(store.checkpoints_dir, ignore_errors=True)


@dataclass(frozen=True)
class Judgement:
    """Whether a freshly trained model is fit to verify with: a plain sentence saying so with its validation error
    (``text``), and the verdict alone (``verdict``) for where figures with their uncertainty follow."""

    usable: bool
    text: str
    verdict: str


def judge_model(calibration: dict | None) -> Judgement:
    """Judge a model by its validation equal error rate: how often it was wrong on images it never trained on."""
    if not calibration:
        text = ("The new model could not be checked: there were too few images put aside to test it. Enroll more "
                "images of the person and train again.")
        return Judgement(False, text, text)
    eer = calibration["validation"]["eer"]
    wrong = f"On images it did not train on, it was wrong about {eer:.0%} of the time"
    if eer >= UNUSABLE_EER:
        verdict = "The new model is not usable yet."
        return Judgement(False, f"{verdict} {wrong}, close to guessing. Capture more images of the person (different "
                                "light and angles), train for more epochs, or start from a generic model.", verdict)
    if eer > GOOD_EER:
        verdict = "The new model works but makes mistakes."
        return Judgement(True, f"{verdict} {wrong}. More images of the person and more epochs make it better.",
                         verdict)
    verdict = "The new model is good."
    return Judgement(True, f"{verdict} {wrong}.", verdict)


def model_warning(calibration: dict) -> str | None:
    """What the Verify tab says about a model in use judged not usable (None when it is usable or unjudged)."""
    validation = calibration.get("validation") if isinstance(calibration, dict) else None
    if not isinstance(validation, dict) or not isinstance(validation.get("eer"), (int, float)):
        return None
    if validation["eer"] < UNUSABLE_EER:
        return None
    return (f"The model in use cannot be trusted: on images it did not train on it was wrong about "
            f"{validation['eer']:.0%} of the time. Results below mean little until a better model is trained.")


def plural(count: int, noun: str) -> str:
    """"1 epoch", "2 epochs", "1,000 images"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
