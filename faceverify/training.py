"""Training: a GradientTape step under a tf.distribute strategy, epochs, checkpoints, resume, cancel.

The new model replaces the old one only when training completes; until then verification keeps
using the previous model, and a killed training continues from its last epoch with ``resume``.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import atomic
from .augment import augment_pair
from .errors import FaceverifyError
from .evaluation import evaluate_scores
from .model import load_model, make_siamese, save_model
from .pairs import PairData, iterate_pairs, load_pair_data, make_pairs
from .store import Store
from .tfruntime import tf

VALIDATION_PAIRS = 1024  # at most this many validation pairs are scored after each epoch


@dataclass
class TrainingConfig:
    """What a training run does; saved with its checkpoints so that ``resume`` repeats it exactly."""

    epochs: int = 50
    batch_size: int = 16
    learning_rate: float = 1e-4
    seed: int = 0
    lfw_identities: bool = False
    steps_per_epoch: int | None = None  # None: every pair of the epoch
    fine_tune: bool = False  # start from the current model instead of random weights
    augment: bool = True
    strategy: str = "default"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "steps_per_epoch"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise FaceverifyError(f"{name.replace('_', ' ')} must be a whole number of at least 1, not {value!r}")
        if not 0 < self.learning_rate < float("inf"):
            raise FaceverifyError(f"the learning rate must be above 0, not {self.learning_rate!r}")


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

    def to_dict(self) -> dict:
        return {
            "config": asdict(self.config),
            "history": [asdict(e) for e in self.history],
            "pairs_per_second": self.pairs_per_second,
            "final": asdict(self.history[-1]) if self.history else None,
        }


def make_strategy(name: str) -> tf.distribute.Strategy:
    """'default' (one device), 'mirrored' (all local GPUs, else all logical CPUs), 'multiworker' (TF_CONFIG)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise FaceverifyError(f"Unknown strategy {name!r}: use default, mirrored or multiworker")


class Trainer:
    """Trains the Siamese model on a store's pairs; reusable by the CLI and the GUI's worker."""

    def __init__(
        self,
        store: Store,
        config: TrainingConfig,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.on_progress = on_progress or (lambda progress: None)
        self.should_stop = should_stop or (lambda: False)
        self.strategy = make_strategy(config.strategy)

    # -- public -----------------------------------------------------------------------------------
    @classmethod
    def resume(cls, store: Store, **callbacks) -> Trainer:
        """A trainer that continues the interrupted training found in the store's checkpoints."""
        saved = _saved_state(store)
        if saved is None:
            raise FaceverifyError("No interrupted training to resume: start one with `faceverify train`")
        return cls(store, TrainingConfig(**saved["config"]), **callbacks)

    def epochs_done(self) -> int:
        """Epochs an interrupted training of this configuration has already finished (0 if none)."""
        saved = _saved_state(self.store)
        return len(saved["history"]) if saved and saved["config"] == asdict(self.config) else 0

    def run(self, data: PairData | None = None) -> TrainingResult:
        """Train to the last epoch, save the model atomically, write the history; returns it."""
        config = self.config
        data = data or load_pair_data(self.store, config.seed, config.lfw_identities)
        self._epoch_rows(data, 0)  # too few pairs is an error before any checkpoint is touched
        with self.strategy.scope():
            model = load_model(self.store.model_path) if config.fine_tune else make_siamese()
            optimizer = tf.keras.optimizers.Adam(config.learning_rate)
            optimizer.build(model.trainable_variables)
            checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        manager = tf.train.CheckpointManager(checkpoint, self.store.checkpoints_dir, max_to_keep=2)
        result = self._restore(manager, checkpoint)
        validation = make_pairs(data, data.validation, np.random.default_rng(config.seed))[:VALIDATION_PAIRS]
        train_step = self._train_step(model, optimizer)
        clock = _Clock(config.epochs - len(result.history))
        def report(epoch: int, step: int, steps: int, losses: list[float], fraction: float,
                   validating: bool = False) -> None:
            self.on_progress(Progress(epoch + 1, config.epochs, step, steps, float(np.mean(losses)), clock.elapsed(),
                                      clock.remaining(fraction), result.history[-1] if result.history else None,
                                      validating))

        for epoch in range(len(result.history), config.epochs):
            rows = self._epoch_rows(data, epoch)
            steps = len(rows) // config.batch_size
            epoch_start, losses = time.monotonic(), []
            for step, batch in enumerate(self._dataset(data, rows, training=True), start=1):
                if self.should_stop():
                    raise TrainingCancelled("Training cancelled; resume continues from the last finished epoch")
                losses.append(float(train_step(batch)))
                report(epoch, step, steps, losses, step / steps)
            seconds = time.monotonic() - epoch_start
            report(epoch, steps, steps, losses, 1.0, validating=True)
            result.history.append(self._epoch_result(model, data, validation, epoch, losses, seconds, len(rows)))
            clock.epoch_done()
            result.pairs_per_second = sum(e.pairs for e in result.history) / sum(e.seconds for e in result.history)
            self._checkpoint(manager, result)
            report(epoch, steps, steps, losses, 0.0)
        save_model(model, self.store.model_path)
        atomic.write_text(self.store.results_dir / "training.json", json.dumps(result.to_dict(), indent=2))
        shutil.rmtree(self.store.checkpoints_dir, ignore_errors=True)
        return result

    # -- steps --------------------------------------------------------------------------------------
    def _epoch_rows(self, data: PairData, epoch: int) -> np.ndarray:
        """This epoch's training pairs (resampled every epoch, reproducibly), cut to whole batches."""
        config = self.config
        rows = make_pairs(data, data.train, np.random.default_rng([config.seed, epoch]))
        steps = len(rows) // config.batch_size
        if config.steps_per_epoch:
            steps = min(steps, config.steps_per_epoch)
        if steps == 0:
            raise FaceverifyError(f"Too few training pairs ({len(rows)}) for one batch of {config.batch_size}")
        return rows[: steps * config.batch_size]

    def _dataset(self, data: PairData, rows: np.ndarray, training: bool) -> tf.data.Dataset:
        """A tf.data pipeline of batches ((first, second), label), augmented when training, distributed."""
        spec = tf.TensorSpec((100, 100, 3), tf.uint8)
        dataset = tf.data.Dataset.from_generator(
            lambda: iterate_pairs(data, rows), output_signature=(spec, spec, tf.TensorSpec((), tf.float32))
        )
        if training and self.config.augment:
            dataset = dataset.map(augment_pair, num_parallel_calls=tf.data.AUTOTUNE)
        else:
            dataset = dataset.map(lambda a, b, y: (tf.image.convert_image_dtype(a, tf.float32),
                                                   tf.image.convert_image_dtype(b, tf.float32), y))
        dataset = dataset.batch(self.config.batch_size, drop_remainder=training).prefetch(2)
        return self.strategy.experimental_distribute_dataset(dataset) if training else dataset

    def _train_step(self, model, optimizer) -> Callable:
        """One distributed GradientTape step on a global batch; returns the mean binary cross-entropy."""
        strategy, batch_size = self.strategy, self.config.batch_size

        def replica_step(first, second, labels):
            with tf.GradientTape() as tape:
                scores = model([first, second], training=True)
                losses = tf.keras.losses.binary_crossentropy(labels[:, None], scores)
                loss = tf.nn.compute_average_loss(losses, global_batch_size=batch_size)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            return loss

        @tf.function
        def step(batch):
            return strategy.reduce("SUM", strategy.run(replica_step, args=batch), axis=None)

        return step

    def _epoch_result(self, model, data, validation, epoch, losses, seconds, pairs) -> EpochResult:
        """Validation loss, precision, recall and accuracy at 0.5 after an epoch."""
        scores = predict_pairs(model, data, validation, self.config.batch_size)
        labels = validation[:, 2].astype(np.float32)
        if len(scores):
            clipped = np.clip(scores, 1e-7, 1 - 1e-7)
            val_loss = float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped)))
            report = evaluate_scores(scores, labels)
            precision, recall, accuracy = report.precision, report.recall, report.accuracy
        else:
            val_loss = precision = recall = accuracy = float("nan")
        return EpochResult(epoch + 1, float(np.mean(losses)), val_loss, precision, recall, accuracy, seconds, pairs)

    # -- checkpoints ----------------------------------------------------------------------------------
    def _restore(self, manager: tf.train.CheckpointManager, checkpoint: tf.train.Checkpoint) -> TrainingResult:
        """Start fresh, or reload the last checkpoint and the history that goes with it."""
        saved = _saved_state(self.store)
        if saved and saved["config"] == asdict(self.config):
            # the checkpoint named in the saved state (two are kept: a kill between saving the weights
            # and the state leaves the state pointing at the previous one, which is still there)
            path = self.store.checkpoints_dir / Path(saved["checkpoint"]).name
            if Path(f"{path}.index").is_file():
                checkpoint.restore(str(path)).expect_partial()
                return TrainingResult(self.config, [EpochResult(**e) for e in saved["history"]],
                                      saved["pairs_per_second"])
        shutil.rmtree(self.store.checkpoints_dir, ignore_errors=True)
        atomic.make_private_dir(self.store.checkpoints_dir)
        return TrainingResult(self.config)

    def _checkpoint(self, manager: tf.train.CheckpointManager, result: TrainingResult) -> None:
        """Save weights and optimizer state, then (atomically) the history that matches them."""
        path = manager.save()
        for file in self.store.checkpoints_dir.iterdir():  # TensorFlow writes them world-readable
            file.chmod(atomic.FILE_MODE)
        state = result.to_dict() | {"checkpoint": Path(path).name}
        atomic.write_text(self.store.checkpoints_dir / "training.json", json.dumps(state, indent=2))


def _saved_state(store: Store) -> dict | None:
    """The state of an interrupted training (config, history, checkpoint name), or None."""
    try:
        saved = json.loads((store.checkpoints_dir / "training.json").read_text("utf-8"))
        TrainingConfig(**saved["config"])
        return saved if {"history", "checkpoint", "pairs_per_second"} <= saved.keys() else None
    except (OSError, ValueError, KeyError, TypeError, FaceverifyError):
        return None


def predict_pairs(model, data: PairData, rows: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Scores of the Siamese model for (first, second) index pairs, without augmentation."""
    scores = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        first = data.images[chunk[:, 0]].astype(np.float32) / 255.0
        second = data.images[chunk[:, 1]].astype(np.float32) / 255.0
        scores.append(np.asarray(model([first, second], training=False)).reshape(-1))
    return np.concatenate(scores) if scores else np.zeros(0, np.float32)


class _Clock:
    """Elapsed time, and an ETA from the average finished epoch (during the first, from its steps so far)."""

    def __init__(self, epochs: int) -> None:
        self.start = self.epoch_start = time.monotonic()
        self.epochs = epochs
        self.finished = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def epoch_done(self) -> None:
        self.finished += 1
        self.epoch_start = time.monotonic()

    def remaining(self, fraction: float) -> float:
        """Seconds left when ``fraction`` of the current (unfinished) epoch is done."""
        if self.finished:
            per_epoch = (self.epoch_start - self.start) / self.finished
        else:
            per_epoch = (time.monotonic() - self.epoch_start) / max(fraction, 1e-9)
        return per_epoch * max(self.epochs - self.finished - fraction, 0.0)
