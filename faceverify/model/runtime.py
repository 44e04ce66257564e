"""Deciding without TensorFlow: the embedding network in LiteRT (XNNPACK on the CPU), the head with numpy.

The runtime model of a home's own ``model/siamese.keras`` is the ``model/siamese.tflite`` written beside it
whenever the ``.keras`` is saved (:func:`~faceverify.model.network.save_model`); the shipped generic model's is
made from its weights at first use and cached as ``model/shipped.tflite``. Each export records which model it
was made from, and one that does not match the model in use is made again. Making one from a ``.keras`` needs
TensorFlow: where it is missing, the error says what to install. Measured against TensorFlow in
``benchmarks/runtime_choice.py``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from faceverify.errors import ModelError
from faceverify.files import atomic, confine
from faceverify.files.digest import file_stamp, remember
from faceverify.home.store import Store
from faceverify.model import current, export, shipped
from faceverify.model.head import head_scores, pair_scores
from faceverify.model.precision import FLOAT32, runtime_precision
from faceverify.model.quiet import filtered_stderr
from faceverify.model.trainability import INSTALL, can_train

EXPORT_LIMIT = 512 * 2**20  # an export is about 39 MB; the input guard caps model files here too

EMBED_BATCH = 64
SHIPPED_EXPORT = "shipped.tflite"


class RuntimeModel:
    """Embeddings and head scores of one exported model; safe to call from several threads."""

    def __init__(self, data: bytes, threads: int | None = None) -> None:
        record = _record(data)
        try:
            self.source: dict = record["source"]
            self._weights = np.asarray(record["head_kernel"], np.float32)
            self._bias = np.float32(record["head_bias"])
            # gallery embeddings one byte a value (see :mod:`head`), unless float32 throughout is asked for
            self.gallery_dtype = np.float32 if record["precision"] == FLOAT32 else np.uint8
            self.cache_key = (f"{self.source['version']}-tflite{record['format']}-{record['precision']}"  # embeddings'
                              f"-{np.dtype(self.gallery_dtype).name}")
            with filtered_stderr():
                self._interpreter = Interpreter(model_content=data, num_threads=threads or os.cpu_count() or 1)
                self._interpreter.allocate_tensors()
        except (KeyError, TypeError, ValueError, RuntimeError):
            raise ModelError("A runtime model (.tflite) is damaged: delete it and it is made again") from None
        self.size = len(self._weights)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 1
        self._lock = threading.Lock()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            if len(batch) != self._batch:  # re-planned only when the batch size changes
                self._interpreter.resize_tensor_input(self._input, list(batch.shape))
                self._interpreter.allocate_tensors()
                self._batch = len(batch)
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Embeddings (N, 4096) of uint8 crops (N, 100, 100, 3), in batches of at most EMBED_BATCH."""
        crops = np.asarray(crops)
        parts = [self._run(crops[i : i + EMBED_BATCH].astype(np.float32)) for i in range(0, len(crops), EMBED_BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, self.size), np.float32)

    def head(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Siamese scores of embeddings: one probe against every gallery row, or row by row (see :mod:`head`)."""
        return head_scores(self._weights, self._bias, probe, gallery)

    def pair_scores(self, images: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
        return pair_scores(self.embed, self.head, images, rows)


def _read(store: Store, path: Path) -> bytes | None:
    """An export in the home (None where missing or over the model cap), read through no link (see :mod:`confine`)."""
    return confine.read_bytes(store.root, *path.relative_to(store.root).parts, limit=EXPORT_LIMIT)


def _record(data: bytes | None) -> dict:
    try:
        return export.record(data) if data is not None else {}
    except Exception:  # flatbuffers raises many types on bytes that are not a model
        return {}


def _matches(data: bytes | None, version: str | None) -> bool:
    """Whether an export's bytes are of this format and precision, and made from the model of ``version``."""
    record = _record(data)
    return (record.get("format") == export.FORMAT and record.get("precision") == runtime_precision()
            and record.get("source", {}).get("version") == version)


def _own(store: Store) -> RuntimeModel:
    """The runtime model of the home's own ``.keras``: its export, made again (with TensorFlow) where stale."""
    path = export.export_path(store.model_path)
    data = _read(store, path)
    source = _record(data).get("source", {})
    stamp, version = source.get("stamp"), source.get("version")
    if isinstance(stamp, list) and isinstance(version, str) and tuple(stamp) == file_stamp(store.model_path):
        remember(store.model_path, tuple(stamp), version)  # unchanged since it was exported: no hashing 150 MB
    if not _matches(data, current.model_version(store)):
        if not can_train():
            raise ModelError(f"The model {store.model_path} has no runtime export yet, and making one needs "
                             f"TensorFlow: {INSTALL}")
        from faceverify.model.network import load_model, save_export

        save_export(load_model(store.model_path), store.model_path)
        data = _read(store, path)
        if not _matches(data, current.model_version(store)):
            raise ModelError(f"The model {store.model_path} changed while it was exported: try again")
    return RuntimeModel(data)


def _shipped(store: Store) -> RuntimeModel:
    """The shipped model's runtime model: cached in the home, made from the shipped weights where missing."""
    if not shipped.available():
        raise ModelError("No model yet, and the shipped generic model is missing: reinstall faceverify, "
                         "or enroll a person, import negatives and train")
    version = shipped.version()
    path = store.model_path.parent / SHIPPED_EXPORT
    data = _read(store, path)
    if not _matches(data, version):
        data = export.build(shipped.weights(), {"version": version}, runtime_precision())
        try:
            atomic.write_bytes(path, data)
        except OSError:  # a read-only home still decides, making the export again next time
            pass
    return RuntimeModel(data)


def load_runtime(store: Store) -> RuntimeModel:
    """The runtime model a home decides with: its own model's, else the shipped model's (ModelError if none)."""
    return _own(store) if store.has_own_model() else _shipped(store)
