"""Calibration: the detection threshold a new model is saved with, at the validation split's equal-error point.

Validation decisions are made as the app makes them (the decision rule over a person's gallery) and scored by
:func:`evaluation.evaluate_scores`; the threshold found is stored beside the model (``model/calibration.json``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from faceverify.training.pairs import PairData, make_pairs
from faceverify.verification.metrics import evaluate_scores
from faceverify.verification.rule import THRESHOLD_SETTINGS, deciding_scores

if TYPE_CHECKING:
    from faceverify.model.scorer import Scorer

CALIBRATION_NEGATIVES = 10  # generic model: negative pairs per positive pair when the threshold is calibrated
CALIBRATION_PAIRS = 8192
CALIBRATION_IMPOSTORS = 300  # enrolled people: validation images of other people verified against each


def calibrate(scorer: Scorer, data: PairData, seed: int) -> dict | None:
    """The validation split's equal-error threshold as the model's detection threshold (None: no pairs); saved with
    the model (see ``Trainer``)."""
    values, labels = calibration_scores(scorer, data, np.random.default_rng(seed))
    if not (labels.any() and not labels.all()):
        return None
    report = evaluate_scores(values, labels)
    calibration = {
        "detection_threshold": round(float(np.clip(report.eer_threshold, 0.0, 1.0)), 4),
        "verification_threshold": THRESHOLD_SETTINGS["verification_threshold"],
        "validation": report.to_dict(),
    }
    return calibration


def calibration_scores(scorer: Scorer, data: PairData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Validation decisions as the app makes them: (deciding score, same person) per probe.

    Enrolled people: their validation images, and CALIBRATION_IMPOSTORS validation images of other
    people, each verified against the person's training positives under the decision rule (see
    :func:`rule.deciding_scores`). Without enrolled people (a generic model): LFW validation pairs.
    """
    verification = THRESHOLD_SETTINGS["verification_threshold"]
    galleries = {i.name: i.positives for i in data.train.identities if i.enrolled}
    people = [i for i in data.validation.identities if i.enrolled and galleries.get(i.name)]
    if not people:
        rows = make_pairs(data, data.validation, rng, CALIBRATION_NEGATIVES)[:CALIBRATION_PAIRS]
        return scorer.pair_scores(data.images, rows), rows[:, 2].astype(bool)
    plans = []  # (genuine probes, impostor probes, gallery) per person
    for person in people:
        genuine = sorted(set(person.anchors + person.positives))
        owner = data.owners[genuine[0]]
        others = [n for n in data.validation.negatives if data.owners[n] != owner]
        plans.append((genuine, rng.permutation(others)[:CALIBRATION_IMPOSTORS].tolist(), galleries[person.name]))
    used = np.unique(np.concatenate([np.r_[g, i, gallery] for g, i, gallery in plans]).astype(int))
    embedded = scorer.embed(data.images[used])  # each image once, however many people it serves
    row = {int(index): k for k, index in enumerate(used)}
    values, labels = [], []
    for genuine, impostors, gallery in plans:
        probes = embedded[[row[i] for i in genuine + impostors]]
        scores = scorer.head(probes[:, None, :], embedded[[row[i] for i in gallery]][None, :, :])
        values.append(deciding_scores(scores, verification))
        labels.append(np.r_[np.ones(len(genuine), bool), np.zeros(len(impostors), bool)])
    return np.concatenate(values), np.concatenate(labels)
