"""TensorFlow's decisions, as faceverify made them before deciding moved to LiteRT: the reference that
``faceverify bench`` and the agreement checks compare the runtime with. Needs TensorFlow (the ``train`` extra)."""
from __future__ import annotations

import numpy as np

from faceverify.home.store import Store
from faceverify.model import current
from faceverify.model.network import for_inference
from faceverify.model.scorer import Scorer
from faceverify.verification.verifier import Verifier


class TensorFlowModel(Scorer):
    """The model in use scored by TensorFlow (in bfloat16 where the CPU has it natively, as before), with what the
    Verifier asks of a runtime model."""

    def __init__(self, store: Store) -> None:
        super().__init__(for_inference(current.load_current(store)))
        self.source = {"version": current.model_version(store)}
        self.cache_key = f"{self.source['version']}-tensorflow"
        self.gallery_dtype = np.float32


def tensorflow_verifier(store: Store) -> Verifier:
    """A Verifier that decides with TensorFlow."""
    return Verifier(store, loader=TensorFlowModel)
