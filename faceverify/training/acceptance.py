"""Training that never makes things worse: a new model replaces the one in use only when it beats it on held-out data.

Both models verify the same held-out probes as the app would (:func:`calibration.calibration_scores`: each enrolled
person's validation images, and validation images of other people, against the person's training positives). The new
model is kept when it ranks them better (a higher ROC AUC of the deciding scores), or when there is no model in use;
with fewer than MIN_HELD_OUT held-out images of the enrolled people nothing can be judged, and the model in use stays.
The figures are given with their uncertainty (95% Wilson intervals), never as a bare "wrong 0% of the time" from a
handful of images.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import binomtest

from faceverify.training.calibration import calibration_scores
from faceverify.training.pairs import PairData
from faceverify.verification.metrics import evaluate_scores

if TYPE_CHECKING:
    from faceverify.model.scorer import Scorer

MIN_HELD_OUT = 5  # held-out images of the enrolled people needed to judge a new model at all


def rate_with_interval(errors: int, total: int) -> str:
    """"1 of 6 (17%, 95% interval 3-56%)": a share with its 95% Wilson interval (scipy's binomtest)."""
    interval = binomtest(errors, total).proportion_ci(method="wilson")
    return f"{errors} of {total} ({errors / total:.0%}, 95% interval {interval.low:.0%}–{interval.high:.0%})"


@dataclass(frozen=True)
class Comparison:
    """The new model against the model in use on the same held-out probes; ``kept`` says which one stays."""

    kept: bool
    genuine: int  # held-out images of the enrolled people
    impostors: int  # held-out images of other people, over every enrolled person
    auc_before: float | None  # None: no model in use to compare with
    auc_after: float
    genuine_errors: int  # the new model's errors at its equal-error threshold
    impostor_errors: int

    def describe(self) -> str:
        """What the operator is told, in plain words."""
        if self.genuine < MIN_HELD_OUT:
            judged = (f"Too few images to judge: only {self.genuine} of the person's images were kept aside to test "
                      f"the new model ({MIN_HELD_OUT} needed), so enroll more.")
            stays = "It is in use: there was no model before it." if self.kept else "The model in use stays."
            return f"{judged} {stays}"
        figures = (f"wrong on {rate_with_interval(self.genuine_errors, self.genuine)} of the person's held-out images "
                   f"and {rate_with_interval(self.impostor_errors, self.impostors)} of other people's faces")
        if self.auc_before is None:
            return f"The new model is in use. On images it did not train on it was {figures}."
        versus = f"ROC AUC {self.auc_after:.3f} against {self.auc_before:.3f} on the same held-out images"
        if not self.kept:
            return (f"The new model is not better than the one in use ({versus}), so the model in use stays. "
                    "More images of the person (other light and angles) give training more to learn from.")
        return f"The new model is better than the one in use ({versus}) and is in use now. It was {figures}."

    def to_dict(self) -> dict:
        return asdict(self) | {"text": self.describe()}


def compare(before: Scorer | None, after: Scorer, data: PairData, seed: int) -> Comparison:
    """Judge ``after`` against ``before`` (the model in use; None when there is none) on the held-out probes."""
    values, labels = calibration_scores(after, data, np.random.default_rng(seed))
    genuine, impostors = int(labels.sum()), int((~labels).sum())
    if genuine < MIN_HELD_OUT or impostors == 0:  # nothing to judge by: only a model where there was none is kept
        return Comparison(before is None, genuine, impostors, None, float("nan"), 0, 0)
    report = evaluate_scores(values, labels)
    accepted = values > report.eer_threshold
    errors = int(np.sum(~accepted[labels])), int(np.sum(accepted[~labels]))
    if before is None:
        return Comparison(True, genuine, impostors, None, report.roc_auc, *errors)
    old_values, _ = calibration_scores(before, data, np.random.default_rng(seed))  # the same probes
    auc_before = evaluate_scores(old_values, labels).roc_auc
    return Comparison(report.roc_auc > auc_before, genuine, impostors, auc_before, report.roc_auc, *errors)
