"""What a training is and what it produces, without TensorFlow: its configuration (with the recipe's defaults),
progress reports, per-epoch figures, the result, and the cancellation error.

The GUI and the CLI import these to build a training and show its progress before TensorFlow is loaded;
:mod:`training` runs it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from faceverify.errors import FaceverifyError

if TYPE_CHECKING:
    from faceverify.training.acceptance import Comparison

# checkpoints/training.json, the state of an interrupted training (read by checkpoints.py and readiness.py)
STATE_SCHEMA = {"type": "object", "required": ["config", "history", "checkpoint", "pairs_per_second"],
                "properties": {"config": {"type": "object", "properties": {"epochs": {"type": "integer"}}},
                               "history": {"type": "array"}}}

@dataclass
class TrainingConfig:
    """What a training run does; saved with its checkpoints so that ``resume`` repeats it exactly."""

    epochs: int = 50
    batch_size: int = 32  # images per step; every pair among them is a training example
    learning_rate: float = 1e-4
    seed: int = 0
    lfw_identities: bool = False
    steps_per_epoch: int | None = None  # None: each enrolled training image about once (at least 2 steps)
    fine_tune: bool = False  # start from the home's current model ...
    from_scratch: bool = False  # ... or from random weights; by default from the shipped generic model
    augment: bool = True
    hard_negatives: float = 0.25  # share of each batch's negative pairs in the loss, hardest first (1: all)
    match_camera: bool = True  # other people's images get the enrolled person's camera look (LOOK_SHARE)
    strategy: str = "default"
    replace_if_worse: bool = False  # save the new model even when it does not beat the model in use on held-out data
    minutes: float | None = None  # a time budget: stop after the epoch it runs out in; the rate decays over it
    augment_strength: float = 1.0  # scales every photometric range of the augmentation (see augment.py)
    # maintainers' levers for the generic model, used only while training (nothing of them is saved with the model):
    teacher: str | None = None  # dlib descriptors of the training images (benchmarks/teacher_descriptors.py) ...
    teacher_weight: float = 0.5  # ... whose soft same-person targets get this share of the pair loss
    identity_weight: float = 0.0  # weight of an identity-classification head's loss (0: no head)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "steps_per_epoch"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise FaceverifyError(f"{name.replace('_', ' ')} must be a whole number of at least 1, not {value!r}")
        if self.batch_size < 4:
            raise FaceverifyError(f"the batch size must be at least 4 images, not {self.batch_size}")
        if not 0 < self.learning_rate < float("inf"):
            raise FaceverifyError(f"the learning rate must be above 0, not {self.learning_rate!r}")
        if not 0 < self.hard_negatives <= 1:
            raise FaceverifyError(f"the share of hard negatives must be above 0 and at most 1, not "
                                  f"{self.hard_negatives!r}")
        for name in ("augment_strength", "identity_weight"):
            if not 0 <= getattr(self, name) < float("inf"):
                raise FaceverifyError(f"{name.replace('_', ' ')} must be at least 0, not {getattr(self, name)!r}")
        if not 0 <= self.teacher_weight <= 1:
            raise FaceverifyError(f"the teacher's weight must be between 0 and 1, not {self.teacher_weight!r}")
        if self.minutes is not None and not 0 < self.minutes < float("inf"):
            raise FaceverifyError(f"the time budget must be above 0 minutes, not {self.minutes!r}")

    def rate_at(self, seconds: float) -> float:
        """The learning rate after ``seconds`` of training: constant, or with a time budget a cosine from the
        configured rate down to a tenth of it at the budget's end."""
        if self.minutes is None:
            return self.learning_rate
        done = min(seconds / (self.minutes * 60), 1.0)
        return float(self.learning_rate * (0.1 + 0.45 * (1 + np.cos(np.pi * done))))


@dataclass
class EpochResult:
    """Figures of one finished epoch."""

    epoch: int
    loss: float
    val_loss: float
    val_precision: float
    val_recall: float
    val_accuracy: float
    seconds: float
    pairs: int


@dataclass
class Progress:
    """What a progress display needs after each step."""

    epoch: int  # 1-based
    epochs: int
    step: int  # 1-based within the epoch
    steps: int
    loss: float
    elapsed: float
    remaining: float
    last_epoch: EpochResult | None = None
    validating: bool = False  # the epoch's steps are done and its validation pairs are being scored


class TrainingCancelled(FaceverifyError):
    """Raised when the cancel callback asks to stop; the last checkpoint stays for ``resume``."""


@dataclass
class TrainingResult:
    """Everything a finished training produced."""

    config: TrainingConfig
    history: list[EpochResult] = field(default_factory=list)
    pairs_per_second: float = 0.0
    calibration: dict | None = None  # the saved thresholds and the validation figures they came from
    comparison: Comparison | None = None  # the new model against the model in use; not kept: nothing was saved

    @property
    def replaced(self) -> bool:
        """Whether the new model replaced the model in use."""
        return self.comparison is None or self.comparison.kept or self.config.replace_if_worse

    def to_dict(self) -> dict:
        return {
            "config": asdict(self.config),
            "history": [asdict(e) for e in self.history],
            "pairs_per_second": self.pairs_per_second,
            "final": asdict(self.history[-1]) if self.history else None,
            "calibration": self.calibration,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }
