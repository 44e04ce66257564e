"""The checkpoints of an interrupted training (``HOME/checkpoints``): its saved state, and whether its files are
whole, so that ``resume`` says so in one line instead of failing inside TensorFlow or silently starting afresh."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from faceverify.errors import FaceverifyError
from faceverify.files.inputs import load_json
from faceverify.home.store import Store
from faceverify.model.tfruntime import tf
from faceverify.training.config import STATE_SCHEMA, TrainingConfig

DAMAGED_CHECKPOINT = "the checkpoint is damaged: train again without --resume"


def checkpoint_prefix(store: Store, saved: dict) -> Path:
    """The checkpoint named in the saved state (two are kept: a kill between saving the weights and the state
    leaves the state pointing at the previous one, which is still there)."""
    return store.checkpoints_dir / Path(saved["checkpoint"]).name


def checkpoint_intact(store: Store, saved: dict) -> bool:
    """Whether the saved state's checkpoint has its index and data files, the data as long as the index says."""
    prefix = checkpoint_prefix(store, saved)
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
        stored = sum(p.stat().st_size for p in prefix.parent.glob(f"{prefix.name}.data-*"))
    except Exception:  # a missing or cut-short index: TensorFlow raises NotFoundError, DataLossError, ...
        return False
    needed = sum(int(np.prod(shapes[k], dtype=np.int64)) * dtypes[k].size for k in shapes if dtypes[k] != tf.string)
    return stored >= needed


def saved_state(store: Store) -> dict | None:
    """The state of an interrupted training (config, history, checkpoint name), or None."""
    try:
        path = store.checkpoints_dir / "training.json"
        saved = load_json(path, str(path), STATE_SCHEMA)  # bounded in size and depth
        TrainingConfig(**saved["config"])
        return saved
    except (OSError, ValueError, KeyError, TypeError, FaceverifyError):
        return None
