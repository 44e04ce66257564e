"""Training: a GradientTape step under a tf.distribute strategy, epochs, checkpoints, resume, cancel.

Each step embeds a batch of images once and trains on every pair among them: pairs of the same
person (an enrolled person's anchors and positives, or one LFW identity's images) are positives, all
others negatives (by default only their hardest quarter counts), and the binary cross-entropy weighs the
two classes equally. Embedding is the expensive part: 32 images give 496 labelled pairs for the price of 16.

Other people's images get the enrolled person's camera look half of the time (:func:`pairs.epoch_batches`), so
the network cannot learn "same camera means same person". After the last epoch the detection threshold
is calibrated on the validation split (:mod:`calibration`) and saved with the model. The TensorFlow-free types
(configuration, progress, results) live in :mod:`training_types`.

The new model replaces the old one only when training completes; until then verification keeps
using the previous model, and a killed training continues with ``resume`` from its last checkpoint:
the first epoch's, then one at most every CHECKPOINT_SECONDS (an epoch can be a few seconds long), and one at once
when it is cancelled, so that Cancel loses no finished epoch.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from faceverify.errors import FaceverifyError, ModelError
from faceverify.files import atomic, locks
from faceverify.home import journal
from faceverify.home.store import Store
from faceverify.model import shipped
from faceverify.model.current import calibration_record, load_current
from faceverify.model.network import (
    classifier_of,
    embedding_of,
    for_inference,
    make_siamese,
    save_model,
    with_policy,
)
from faceverify.model.precision import FLOAT32, compute_policy
from faceverify.model.runtime import load_runtime
from faceverify.model.scorer import Scorer
from faceverify.model.tfruntime import tf
from faceverify.training.acceptance import compare
from faceverify.training.augment import augment_image
from faceverify.training.calibration import calibrate
from faceverify.training.checkpoints import DAMAGED_CHECKPOINT, checkpoint_intact, checkpoint_prefix, saved_state
from faceverify.training.config import EpochResult, Progress, TrainingCancelled, TrainingConfig, TrainingResult
from faceverify.training.identity_head import IdentityHead
from faceverify.training.pairs import (
    ENROLLED_PER_BATCH,
    PairData,
    camera_looks,
    epoch_batches,
    load_pair_data,
    make_pairs,
)
from faceverify.training.teacher import Teacher, load_teacher
from faceverify.verification.cohort import cohort_embeddings, save_held_out
from faceverify.verification.metrics import evaluate_scores

__all__ = ["EpochResult", "Progress", "Trainer", "TrainingCancelled", "TrainingConfig", "TrainingResult"]

VALIDATION_PAIRS = 512  # at most this many validation pairs are scored after each epoch
CHECKPOINT_SECONDS = 60  # after the first epoch, a checkpoint (~470 MB with Adam's state) at most this often


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
        self.resuming = False  # made by resume(): a damaged checkpoint is an error, not a fresh start

    # -- public -----------------------------------------------------------------------------------
    @classmethod
    def resume(cls, store: Store, **callbacks) -> Trainer:
        """A trainer that continues the interrupted training found in the store's checkpoints."""
        saved = saved_state(store)
        if saved is None:
            raise FaceverifyError("No interrupted training to resume: start one with `faceverify train`")
        if not checkpoint_intact(store, saved):
            raise FaceverifyError(DAMAGED_CHECKPOINT)
        trainer = cls(store, TrainingConfig(**saved["config"]), **callbacks)
        trainer.resuming = True
        return trainer

    def epochs_done(self) -> int:
        """Epochs an interrupted training of this configuration has already finished (0 if none)."""
        saved = saved_state(self.store)
        return len(saved["history"]) if saved and saved["config"] == asdict(self.config) else 0

    def run(self, data: PairData | None = None) -> TrainingResult:
        """Train to the last epoch, save the model and its calibrated thresholds, write the history; returns it.

        Holds the home's writer lock throughout: a second training, an enrollment, an import or a removal
        in the same home is refused while this one runs (see :mod:`locks`).
        """
        with locks.writing(self.store.ensure().root, "training"):
            return self._run(data)

    def _run(self, data: PairData | None) -> TrainingResult:
        config = self.config
        self._replica_batch()  # a batch that does not split over the devices is an error before anything starts
        data = data or load_pair_data(self.store, config.seed, config.lfw_identities)
        teacher = load_teacher(config.teacher, data, config.seed) if config.teacher else None
        with self.strategy.scope():
            model = make_siamese(compute_policy())  # bfloat16 convolutions where the CPU has them; float32 weights
            if config.fine_tune or not config.from_scratch:
                model.set_weights(self._starting_model().get_weights())
            width = embedding_of(model).output_shape[-1]
            head = IdentityHead(data, width, config.identity_weight) if config.identity_weight else None
            variables = model.trainable_variables + (head.layer.trainable_variables if head else [])
            optimizer = tf.keras.optimizers.Adam(config.learning_rate)
            optimizer.build(variables)
            checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, **({"head": head.layer} if head else {}))
        manager = tf.train.CheckpointManager(checkpoint, self.store.checkpoints_dir, max_to_keep=2)
        result = self._restore(manager, checkpoint)
        scorer, looks = Scorer(model), camera_looks(data, config.seed) if config.match_camera else {}
        validation = make_pairs(data, data.validation, np.random.default_rng(config.seed))[:VALIDATION_PAIRS]
        train_step = self._train_step(model, optimizer, variables, teacher, head)
        steps = self._steps_per_epoch(data)
        clock = _Clock(config.epochs - len(result.history))

        def report(epoch: int, step: int, losses: list[float], fraction: float, validating: bool = False) -> None:
            self.on_progress(Progress(epoch + 1, config.epochs, step, steps, float(np.mean(losses)), clock.elapsed(),
                                      clock.remaining(fraction), result.history[-1] if result.history else None,
                                      validating))

        saved_epochs, saved_at = len(result.history), None
        for epoch in range(len(result.history), config.epochs):
            epoch_start, losses = time.monotonic(), []
            trained = sum(e.seconds for e in result.history)  # before this epoch, over every run of this training
            for step, batch in enumerate(self._dataset(data, looks, epoch, steps), start=1):
                optimizer.learning_rate.assign(config.rate_at(trained + time.monotonic() - epoch_start))
                if self.should_stop():  # save at once: no finished epoch is lost to the once-a-minute checkpoints
                    if saved_epochs < len(result.history):  # mid-epoch, resume trains this epoch's steps again
                        self._checkpoint(manager, result)
                    raise TrainingCancelled("Training cancelled; resume continues after the last finished epoch")
                losses.append(float(train_step(batch)))
                report(epoch, step, losses, step / steps)
            seconds = time.monotonic() - epoch_start
            report(epoch, steps, losses, 1.0, validating=True)
            pairs = steps * self._pairs_per_step()
            scorer.refresh()
            result.history.append(self._epoch_result(scorer, data, validation, epoch, losses, seconds, pairs))
            clock.epoch_done()
            result.pairs_per_second = sum(e.pairs for e in result.history) / sum(e.seconds for e in result.history)
            out_of_time = config.minutes is not None and trained + seconds >= config.minutes * 60
            last = epoch == config.epochs - 1 or out_of_time  # the model itself is saved next
            if not last and (saved_at is None or time.monotonic() - saved_at >= CHECKPOINT_SECONDS):
                self._checkpoint(manager, result)
                saved_epochs, saved_at = len(result.history), time.monotonic()
            report(epoch, steps, losses, 0.0)
            if out_of_time:
                break
        result.comparison = compare(None if config.replace_if_worse else self._model_in_use(), scorer, data,
                                    config.seed)
        if result.replaced:
            result.calibration = calibrate(scorer, data, config.seed)
            self._swap_model(model, result.calibration)
            save_held_out(self.store, data.validation.negative_people)
            runtime = load_runtime(self.store)  # the export saved with the model: the cohort as verification sees it
            for name in self.store.names():  # each person's cohort through their camera, cached for the levels
                cohort_embeddings(self.store, runtime.cache_key, name, runtime.embed)
        atomic.write_text(self.store.results_dir / "training.json", json.dumps(result.to_dict(), indent=2))
        shutil.rmtree(self.store.checkpoints_dir, ignore_errors=True)
        return result

    def _model_in_use(self) -> Scorer | None:
        """The model verification uses now (the one a new model must beat), or None when there is none."""
        try:
            return Scorer(for_inference(load_current(self.store)))
        except ModelError:
            return None

    def _swap_model(self, model, calibration: dict | None) -> None:
        """Replace the home's model and its calibration in one change, all or nothing even if killed (see
        :mod:`journal`): both are staged, then committed; the thresholds chosen for the old model go with it."""
        with journal.change(self.store, journal.TRAIN) as staging:
            staged = staging / self.store.model_path.relative_to(self.store.root)
            save_model(with_policy(model, FLOAT32), staged)  # saved models are plain float32
            if calibration is not None:  # else the old calibration, of another model version, no longer applies
                atomic.write_text(staged.with_name(self.store.calibration_path.name),
                                  calibration_record(calibration, staged))
            journal.commit(staging, self.store)

    def _starting_model(self):
        """The home's current model (fine-tuning it), else the shipped generic model."""
        if self.config.fine_tune:
            return load_current(self.store)
        if not shipped.available():
            raise ModelError("The shipped generic model is missing: reinstall faceverify, or train from scratch")
        return shipped.load()

    # -- steps --------------------------------------------------------------------------------------
    def _steps_per_epoch(self, data: PairData) -> int:
        """The configured steps, or enough for each enrolled training image about once (at least 2)."""
        if self.config.steps_per_epoch:
            return self.config.steps_per_epoch
        enrolled = sum(len(set(i.anchors + i.positives)) for i in data.train.identities if i.enrolled)
        return max(2, -(-enrolled // ENROLLED_PER_BATCH))

    def _replica_batch(self) -> int:
        replicas = self.strategy.num_replicas_in_sync
        if self.config.batch_size % replicas or self.config.batch_size // replicas < 4:
            raise FaceverifyError(f"The batch size ({self.config.batch_size}) must be a multiple of the "
                                  f"{replicas} devices, with at least 4 images on each")
        return self.config.batch_size // replicas

    def _pairs_per_step(self) -> int:
        size = self._replica_batch()
        return self.strategy.num_replicas_in_sync * size * (size - 1) // 2

    def _dataset(self, data: PairData, looks: dict[int, np.ndarray], epoch: int, steps: int):
        """A tf.data pipeline of (images, owners, indices) batches, augmented, distributed over the devices."""
        dataset = tf.data.Dataset.from_generator(
            lambda: epoch_batches(data, looks, steps * self.strategy.num_replicas_in_sync,  # one batch per device
                                  self._replica_batch(), np.random.default_rng([self.config.seed, epoch])),
            output_signature=(tf.TensorSpec((100, 100, 3), tf.uint8), tf.TensorSpec((), tf.int64),
                              tf.TensorSpec((), tf.int64)))
        if self.config.augment:
            strength = self.config.augment_strength
            dataset = dataset.map(lambda image, owner, index: (augment_image(image, strength), owner, index),
                                  num_parallel_calls=tf.data.AUTOTUNE)
        else:
            dataset = dataset.map(lambda image, owner, index: (tf.image.convert_image_dtype(image, tf.float32), owner,
                                                               index))
        dataset = dataset.batch(self.config.batch_size, drop_remainder=True).prefetch(2)
        return self.strategy.experimental_distribute_dataset(dataset)

    def _train_step(self, model, optimizer, variables: list, teacher: Teacher | None,
                    head: IdentityHead | None) -> Callable:
        """One distributed GradientTape step on a global batch; returns its loss: the balanced binary cross-entropy,
        mixed with the teacher's (``teacher_weight``) and plus the identity head's where they are used."""
        strategy, config = self.strategy, self.config
        embedding, classifier = embedding_of(model), classifier_of(model)

        def replica_step(images, owners, indices):
            with tf.GradientTape() as tape:
                embedded = embedding(images, training=True)
                logits = pair_logits(embedded, classifier)
                loss = balanced_pair_loss(logits, owners, config.hard_negatives)
                if teacher:
                    loss = (1 - config.teacher_weight) * loss + config.teacher_weight * teacher.loss(logits, owners,
                                                                                                     indices)
                if head:
                    loss += head.loss(embedded, owners)
                loss = loss / strategy.num_replicas_in_sync
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            return loss

        @tf.function
        def step(batch):
            return strategy.reduce("SUM", strategy.run(replica_step, args=batch), axis=None)

        return step

    def _epoch_result(self, scorer: Scorer, data, validation, epoch, losses, seconds, pairs) -> EpochResult:
        """Validation loss, precision, recall and accuracy at 0.5 after an epoch."""
        scores = scorer.pair_scores(data.images, validation)
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
        saved = saved_state(self.store)
        if saved and saved["config"] == asdict(self.config) and checkpoint_intact(self.store, saved):
            try:
                checkpoint.restore(str(checkpoint_prefix(self.store, saved))).expect_partial()
            except Exception:  # TensorFlow raises many types (IndexError, DataLossError, ...) for damaged data
                if not self.resuming:  # the weights may be half restored: no fresh start from them, but next time
                    shutil.rmtree(self.store.checkpoints_dir, ignore_errors=True)
                    raise FaceverifyError("The checkpoint of the last training was damaged and is removed: "
                                          "train again") from None
                raise FaceverifyError(DAMAGED_CHECKPOINT) from None
            return TrainingResult(self.config, [EpochResult(**e) for e in saved["history"]],
                                  saved["pairs_per_second"])
        if self.resuming:
            raise FaceverifyError(DAMAGED_CHECKPOINT)
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


def pair_logits(embeddings: tf.Tensor, classifier) -> tf.Tensor:
    """The classifier's logit for every (i, j) pair of a batch's embeddings, (n, n)."""
    distances = tf.abs(embeddings[:, None, :] - embeddings[None, :, :])
    return tf.tensordot(distances, classifier.kernel, 1)[..., 0] + classifier.bias[0]


def balanced_pair_loss(logits: tf.Tensor, owners: tf.Tensor, hard_share: float = 1.0) -> tf.Tensor:
    """Binary cross-entropy over every pair of a batch (same owner = 1), each class weighted one half; of the negative
    pairs only the ``hard_share`` with the highest loss count (hard negative mining: easy ones no longer drown them)."""
    same = tf.cast(tf.equal(owners[:, None], owners[None, :]), tf.float32)
    above = 1.0 - tf.linalg.band_part(tf.ones_like(same), -1, 0)  # each unordered pair once, no self-pairs
    positive, negative = same * above, (1.0 - same) * above
    positive_loss = tf.reduce_sum(tf.nn.softplus(-logits) * positive) / tf.maximum(tf.reduce_sum(positive), 1.0)
    count = tf.maximum(tf.math.ceil(hard_share * tf.reduce_sum(negative)), 1.0)
    hardest = tf.math.top_k(tf.reshape(tf.nn.softplus(logits) * negative, [-1]), tf.cast(count, tf.int32)).values
    negative_loss = tf.reduce_sum(hardest) / count
    return 0.5 * (positive_loss + negative_loss)


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
