"""Verification and identification with one embedding pass per probe and cached gallery embeddings.

The Siamese model's score for (probe, image) is sigmoid(w . |e(probe) - e(image)| + b). The embeddings e(image)
of a person's positive images depend only on the model, so they are computed once per model version, kept in
memory and on disk in the runtime's compact form, one byte a value (``HOME/model/embeddings/<version>-tflite<format>-
<precision>-uint8/<name>.npz``, keyed by image), and a probe costs one embedding pass plus one vectorised
head call, whatever the number of enrolled images. The model runs in LiteRT (:mod:`~faceverify.model.runtime`): no
TensorFlow.
"""
from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceverify.errors import FaceverifyError, ModelError
from faceverify.files import confine
from faceverify.home.store import EMBEDDINGS, Store, read_crops
from faceverify.model.current import model_version
from faceverify.model.head import compact
from faceverify.model.runtime import RuntimeModel, load_runtime
from faceverify.verification.cohort import cohort_embeddings
from faceverify.verification.levels import NO_COHORT, Level, NoCohortError, PersonThreshold, person_threshold
from faceverify.verification.rule import (
    CUSTOM_LEVEL,
    DETECTION_THRESHOLD,
    VERIFICATION_THRESHOLD,
    Decision,
    decide,
    decide_each,
)
from faceverify.verification.thresholds import threshold

MAX_CACHE_BYTES = 256 * 2**20  # 5,000 images of 4,096 float32 each are 80 MB
RACY_NS = 2_000_000_000  # a folder changed this recently may change again within its timestamps' granularity


def _folder_stamp(folder: str | None) -> tuple | None:
    """What identifies a folder's listing without reading it, or None if unknown or too recent to rely on."""
    try:
        stat = os.stat(folder) if folder is not None else None
    except OSError:
        return None
    if stat is None or time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS:
        return None
    return stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns


class DamagedModelError(ModelError):
    """A model that loads but gives no valid scores (NaN: damaged weights)."""


def _valid(scores: np.ndarray, path: Path) -> np.ndarray:
    if not np.isfinite(scores).all():
        raise DamagedModelError(f"The model {path} is damaged: it gives no valid scores (NaN); train again")
    return scores


@dataclass(frozen=True)
class Identification:
    """One-to-many result: the best person whose share passes, or None for unknown; every person's decision."""

    person: str | None
    decisions: list[Decision]


class Verifier:
    """Scores probes against enrolled people; safe to call from worker threads."""

    def __init__(self, store: Store, loader: Callable[[Store], RuntimeModel] = load_runtime) -> None:
        """``loader`` gives the model in use: the runtime's (TensorFlow's only where decisions are compared)."""
        self.store = store
        self._loader = loader
        self._lock = threading.RLock()
        self.version = ""  # of the loaded model; set by load(), "" before
        self._galleries: dict[str, tuple[tuple[str, ...], np.ndarray, tuple | None]] = {}  # keys, embeddings, stamp
        self._folders: dict[str, str] = {}  # each person's positive folder, once checked (see gallery)
        self._stack: tuple | None = None  # names, their galleries, all stacked, each one's rows (see identify)
        self._levels: dict[tuple, PersonThreshold] = {}  # (person, level, verification, images) -> threshold

    # -- model --------------------------------------------------------------------------------------
    def load(self) -> str:
        """Load the model in use, or reload it when it changed (e.g. a training just finished); its version.

        Only this method reloads: verify and identify call it once, and every score of one call comes from the
        model whose version they log. Raises ModelError when there is no usable model.
        """
        with self._lock:
            current = model_version(self.store)
            if current is not None and current == self.version:
                return self.version
            self._model: RuntimeModel = self._loader(self.store)
            self.version, self._galleries, self._stack = self._model.source["version"], {}, None  # scores' source
            self._levels = {}
            return self.version

    def _require(self) -> None:
        """Load the model on first use (later replacements are picked up by :meth:`load` only)."""
        if not self.version:
            self.load()

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Embeddings (N, 4096) of uint8 crops (N, 100, 100, 3)."""
        self._require()
        return self._model.embed(crops)

    def head(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Siamese scores of embeddings (from :meth:`embed`): one probe against every gallery row, or row by row."""
        return self._model.head(probe, gallery)

    def pair_scores(self, images: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
        self._require()
        return self._model.pair_scores(images, rows)

    # -- gallery ------------------------------------------------------------------------------------
    def gallery(self, name: str) -> np.ndarray:
        """Embeddings of a person's positive images: from memory, from disk, or computed (and cached).

        The folder is listed again only when its stamp (inode, mtime, ctime) changed, or when it changed
        so recently that a further change could leave the same timestamps.
        """
        self._require()
        with self._lock:
            if self._unchanged(name):
                return self._galleries[name][1]
        self._folders[name] = folder = os.fspath(self.store.require_person(name) / "positive")
        stamp = _folder_stamp(folder)
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
                embedded = compact(self.embed(read_crops(missing)), self._model.gallery_dtype)  # as galleries hold them
                known.update(zip((p.name for p in missing), embedded))
            embeddings = (np.stack([known[k] for k in keys]) if keys
                          else np.zeros((0, self._model.size), self._model.gallery_dtype))
            if missing or set(known) != set(keys):
                self._write_cache(name, keys, embeddings)
            self._galleries[name] = (keys, embeddings, stamp)
            return embeddings

    def _unchanged(self, name: str) -> bool:
        """Whether the person's gallery in memory is known to match their folder (its stamp is the same): one stat of
        the folder found before, no path checks."""
        stamp, cached = _folder_stamp(self._folders.get(name)), self._galleries.get(name)
        return stamp is not None and cached is not None and cached[2] == stamp

    def _cache_dir(self) -> str:
        """The cache folder of the loaded model: its version, the runtime's format and precision."""
        return self._model.cache_key if self.version else "none"

    def _cache_parts(self, name: str) -> tuple[str, ...]:
        """Where a person's cache lies below the home: ``model/embeddings/<cache dir>/<name>.npz``."""
        return (*EMBEDDINGS, self._cache_dir(), f"{name}.npz")

    def _read_cache(self, name: str) -> dict[str, np.ndarray]:
        """The cached embeddings of a person's images by file name; a damaged cache counts as empty (recomputed).
        Read through no link (see :mod:`confine`)."""
        data = confine.read_bytes(self.store.root, *self._cache_parts(name), limit=MAX_CACHE_BYTES)
        if data is None:
            return {}
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as saved:
                keys, embeddings = saved["keys"], saved["embeddings"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return {}
        if (keys.ndim != 1 or embeddings.shape != (len(keys), self._model.size)
                or embeddings.dtype != self._model.gallery_dtype or not np.isfinite(embeddings).all()):
            return {}
        return dict(zip(keys.tolist(), embeddings))

    def _write_cache(self, name: str, keys: tuple[str, ...], embeddings: np.ndarray) -> None:
        """Save a person's gallery atomically, through no link; caches of older model versions are dropped."""
        for old in confine.names(self.store.root, *EMBEDDINGS, folders=True):
            if old != self._cache_dir():
                confine.remove_entry(self.store.root, *EMBEDDINGS, old)
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.asarray(keys, dtype=str), embeddings=embeddings)
        confine.write_bytes(self.store.root, *self._cache_parts(name), data=buffer.getvalue())

    # -- security levels -------------------------------------------------------------------------------
    def level_threshold(self, name: str, level: Level, verification: float) -> PersonThreshold:
        """The person's detection threshold at ``level`` (see :mod:`levels`), computed again only when the model,
        their images or the verification threshold changed."""
        with self._lock:
            self._require()
            gallery = self.gallery(name)
            anchors = self.store.images(name, "anchor")
            key = (name, level.name, verification, self._galleries[name][0], tuple(p.name for p in anchors))
            if key not in self._levels:
                cohort = cohort_embeddings(self.store, self._cache_dir(), name, self.embed)  # cached on disk
                if len(cohort) == 0:
                    raise NoCohortError(NO_COHORT)
                self._levels[key] = person_threshold(name, level, verification, self.head, gallery, cohort,
                                                     self.embed(read_crops(anchors)))
            return self._levels[key]

    def _detection(self, name: str, detection: float | Level, verification: float) -> tuple[float, str]:
        """A fixed detection threshold, or the person's at a level; with the level's name (custom for a fixed one).
        A model without a cohort cannot keep a level: it decides at its calibrated threshold, logged as custom."""
        if not isinstance(detection, Level):
            return detection, CUSTOM_LEVEL
        try:
            return self.level_threshold(name, detection, verification).threshold, detection.name
        except NoCohortError:
            return threshold(self.store, "detection_threshold"), CUSTOM_LEVEL

    # -- decisions ------------------------------------------------------------------------------------
    def scores(self, name: str, probes: np.ndarray) -> np.ndarray:
        """Scores (frames, images) of probe crops against a person's positive images."""
        gallery = self.gallery(name)
        if len(gallery) == 0:
            raise FaceverifyError(f"{name} has no positive images to compare with: enroll some first")
        return _valid(np.stack([self.head(e, gallery) for e in self.embed(probes)]), self.store.model_path)

    def verify(self, name: str, probes: np.ndarray, detection_threshold: float | Level = DETECTION_THRESHOLD,
               verification_threshold: float = VERIFICATION_THRESHOLD) -> Decision:
        """One decision for a burst of probe crops (F, 100, 100, 3): every frame against every positive image, at a
        fixed detection threshold or the person's at a security level."""
        with self._lock:
            version = self.load()
            scores = self.scores(name, probes)
            detection, level = self._detection(name, detection_threshold, verification_threshold)
        return decide(name, scores, detection, verification_threshold, version, level)

    def identify(self, probes: np.ndarray, detection_threshold: float | Level = DETECTION_THRESHOLD,
                 verification_threshold: float = VERIFICATION_THRESHOLD) -> Identification:
        """The enrolled person with the highest passing share (ties: higher mean score), or unknown.

        Every person's gallery is scored in one head call over all of them stacked (kept while no gallery changes).
        """
        with self._lock:
            version = self.load()
            embeddings = self.embed(probes)
            stacked, bounds = self._stacked(self.store.names())
            scores = _valid(np.stack([self.head(e, stacked) for e in embeddings]), self.store.model_path)
            people = [(name, start, stop, *self._detection(name, detection_threshold, verification_threshold))
                      for name, start, stop in bounds if stop > start]
            decisions = decide_each(people, scores, verification_threshold, version)
        decisions.sort(key=lambda d: (d.share, d.mean_score), reverse=True)
        best = decisions[0].person if decisions and decisions[0].verified else None
        return Identification(best, decisions)

    def _stacked(self, names: list[str]) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
        """Every named person's gallery in one array, and each one's rows. Built again only when a gallery changed;
        the people's cached galleries then become views into it, so memory holds each embedding once."""
        held = self._stack
        if held and held[0] == names and all(self._unchanged(name) for name in names):  # one stat a person
            return held[2], held[3]
        galleries = [self.gallery(name) for name in names]
        if held and held[0] == names and all(a is b for a, b in zip(held[1], galleries)):
            return held[2], held[3]
        stacked = (np.concatenate(galleries) if galleries
                   else np.zeros((0, self._model.size), self._model.gallery_dtype))
        bounds, start = [], 0
        for name, gallery in zip(names, galleries):
            bounds.append((name, start, start + len(gallery)))
            keys, _, stamp = self._galleries[name]
            self._galleries[name] = (keys, stacked[start : start + len(gallery)], stamp)
            start += len(gallery)
        self._stack = (names, [self._galleries[name][1] for name in names], stacked, bounds)
        return stacked, bounds
