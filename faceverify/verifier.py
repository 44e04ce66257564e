"""Verification and identification with one embedding pass per probe and cached gallery embeddings.

The Siamese model's score for (probe, image) is sigmoid(w . |e(probe) - e(image)| + b). The
embeddings e(image) of a person's positive images depend only on the model, so they are computed
once per model version, kept in memory and on disk (``HOME/model/embeddings/<version>/<name>.npz``,
keyed by image), and a probe costs one embedding pass plus one vectorised head call, whatever the
number of enrolled images.
"""
from __future__ import annotations

import io
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic
from .errors import FaceverifyError
from .faces import to_input
from .model import classifier_of, embedding_of, load_model, model_version
from .rule import DETECTION_THRESHOLD, VERIFICATION_THRESHOLD, Decision, decide
from .store import Store, read_crops
from .tfruntime import tf

EMBED_BATCH = 64
HEAD_ROWS = 256  # gallery rows scored at a time: the |e - g| block stays in cache, no (N, 4096) temporary
RACY_NS = 2_000_000_000  # a folder changed this recently may change again within its timestamps' granularity


def _folder_stamp(folder: Path) -> tuple | None:
    """What identifies a folder's listing without reading it, or None if unknown or too recent to rely on."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS:
        return None
    return stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns


@dataclass(frozen=True)
class Identification:
    """One-to-many result: the best person whose share passes, or None for unknown; every person's decision."""

    person: str | None
    decisions: list[Decision]


class Verifier:
    """Scores probes against enrolled people; safe to call from worker threads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._version: str | None = None
        self._galleries: dict[str, tuple[tuple[str, ...], np.ndarray, tuple | None]] = {}  # keys, embeddings, stamp

    # -- model --------------------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """The version of the loaded model (loading it if needed)."""
        self._ensure_model()
        return self._version or ""

    def _ensure_model(self) -> None:
        """Load the model, or reload it when the file was replaced (e.g. a training just finished)."""
        path = self.store.model_path
        with self._lock:
            current = model_version(path) if path.is_file() else None
            if current is not None and current == self._version:
                return
            model = load_model(path)
            if path.is_file() and model_version(path) != current:  # replaced while loading: load the newer one
                current = model_version(path)
                model = load_model(path)
            embedding = embedding_of(model)
            kernel, bias = classifier_of(model).get_weights()
            self._embed = tf.function(
                lambda x: embedding(x, training=False),
                input_signature=[tf.TensorSpec((None, *embedding.input_shape[1:]), tf.float32)],
                autograph=False,  # plain layers, no Python control flow to convert
            )
            self._weights, self._bias = kernel.reshape(-1).astype(np.float32), np.float32(bias[0])
            self._version, self._galleries = current, {}

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Embeddings (N, 4096) of uint8 crops (N, 100, 100, 3), in batched calls of at most EMBED_BATCH."""
        self._ensure_model()
        parts = [self._embed(tf.constant(to_input(np.asarray(crops[i : i + EMBED_BATCH])))).numpy()
                 for i in range(0, len(crops), EMBED_BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, self._weights.size), np.float32)

    def head(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Siamese scores sigmoid(|e - g| w + b): one probe against every gallery row, or row by row.

        Computed a block of rows at a time with numpy's own loops (einsum): no large temporary, and no
        BLAS threads, which on a small machine fight TensorFlow's threads for the same cores.
        """
        probe = np.asarray(probe, np.float32)
        if probe.ndim == 1:  # a private copy: left as a row of embed()'s output, the scan was measured 3x slower
            probe = probe.copy()
        first, second = np.broadcast_arrays(probe, np.asarray(gallery, np.float32))
        shape = first.shape[:-1]
        first, second = first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1])
        logits = np.empty(len(first), np.float32)
        block = np.empty((min(HEAD_ROWS, len(first)), first.shape[1]), np.float32)
        for start in range(0, len(first), HEAD_ROWS):
            stop = min(start + HEAD_ROWS, len(first))
            part = block[: stop - start]
            np.abs(np.subtract(first[start:stop], second[start:stop], out=part), out=part)
            logits[start:stop] = np.einsum("ij,j->i", part, self._weights)
        logits += self._bias
        with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: the score is 0
            return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32).reshape(shape)

    # -- gallery ------------------------------------------------------------------------------------
    def gallery(self, name: str) -> np.ndarray:
        """Embeddings of a person's positive images: from memory, from disk, or computed (and cached).

        The folder is listed again only when its stamp (inode, mtime, ctime) changed, or when it changed
        so recently that a further change could leave the same timestamps.
        """
        self._ensure_model()
        stamp = _folder_stamp(self.store.require_person(name) / "positive")
        with self._lock:
            cached = self._galleries.get(name)
            if cached and stamp is not None and cached[2] == stamp:
                return cached[1]
        paths = self.store.images(name, "positive")
        keys = tuple(p.name for p in paths)
        with self._lock:
            cached = self._galleries.get(name)
            if cached and cached[0] == keys:
                self._galleries[name] = (keys, cached[1], stamp)
                return cached[1]
            known = self._read_cache(name)
            missing = [p for p in paths if p.name not in known]
            if missing:
                known.update(zip((p.name for p in missing), self.embed(read_crops(missing))))
            embeddings = np.stack([known[k] for k in keys]) if keys else np.zeros((0, self._weights.size), np.float32)
            if missing or set(known) != set(keys):
                self._write_cache(name, keys, embeddings)
            self._galleries[name] = (keys, embeddings, stamp)
            return embeddings

    def _cache_path(self, name: str):
        return self.store.embeddings_dir / (self._version or "none") / f"{name}.npz"

    def _read_cache(self, name: str) -> dict[str, np.ndarray]:
        try:
            with np.load(self._cache_path(name)) as saved:
                return dict(zip(saved["keys"].tolist(), saved["embeddings"]))
        except (OSError, ValueError, KeyError):
            return {}

    def _write_cache(self, name: str, keys: tuple[str, ...], embeddings: np.ndarray) -> None:
        """Save a person's gallery atomically; caches of older model versions are dropped."""
        for old in self.store.embeddings_dir.glob("*"):
            if old.name != self._version:
                shutil.rmtree(old, ignore_errors=True)
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.asarray(keys, dtype=str), embeddings=embeddings)
        atomic.write_bytes(self._cache_path(name), buffer.getvalue())

    # -- decisions ------------------------------------------------------------------------------------
    def scores(self, name: str, probes: np.ndarray) -> np.ndarray:
        """Scores (frames, images) of probe crops against a person's positive images."""
        gallery = self.gallery(name)
        if len(gallery) == 0:
            raise FaceverifyError(f"{name} has no positive images to compare with: enroll some first")
        return np.stack([self.head(e, gallery) for e in self.embed(probes)])

    def verify(self, name: str, probes: np.ndarray, detection_threshold: float = DETECTION_THRESHOLD,
               verification_threshold: float = VERIFICATION_THRESHOLD) -> Decision:
        """One decision for a burst of probe crops (F, 100, 100, 3): every frame against every positive image."""
        scores = self.scores(name, probes)
        return decide(name, scores, detection_threshold, verification_threshold, self.version)

    def identify(self, probes: np.ndarray, detection_threshold: float = DETECTION_THRESHOLD,
                 verification_threshold: float = VERIFICATION_THRESHOLD) -> Identification:
        """The enrolled person with the highest passing share (ties: higher mean score), or unknown."""
        embeddings = self.embed(probes)
        decisions = []
        for person in self.store.people():
            gallery = self.gallery(person.name)
            if len(gallery):
                scores = np.stack([self.head(e, gallery) for e in embeddings])
                decisions.append(decide(person.name, scores, detection_threshold, verification_threshold, self.version))
        decisions.sort(key=lambda d: (d.share, d.mean_score), reverse=True)
        best = decisions[0].person if decisions and decisions[0].verified else None
        return Identification(best, decisions)
