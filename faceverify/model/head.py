"""The Siamese head with numpy: sigmoid(w . |e(a) - e(b)| + b0) over embeddings, shared by every runtime.

Embedding dominates the cost, so everything that scores many pairs (verification against a gallery, validation,
evaluation) embeds each image once and applies this head to the embeddings.

Galleries are held compact: each embedding value (a sigmoid output in [0, 1]) as one byte, round(255 e)
(:func:`compact`). Where either side is compact both are scored on those 256 levels, a quarter of float32's memory
traffic, with OpenCV's vectorised absolute difference and one BLAS product a block; a large gallery is split over
every core (threadpoolctl keeps BLAS to one thread in each share). The error is at
most half a level a value; ``benchmarks/runtime_agreement.py`` measures what it changes in decisions.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import cv2
import numpy as np
from threadpoolctl import ThreadpoolController

HEAD_ROWS = 256  # rows scored at a time: the |e - g| block stays in cache, no (N, 4096) temporary
LEVELS = 255  # compact embeddings: round(255 e), one byte a value
PARALLEL_ROWS = 4096  # a compact gallery of at least this many rows is scored on every core, a share each


def compact(embeddings: np.ndarray, dtype: type = np.uint8) -> np.ndarray:
    """Embeddings as a gallery holds them: uint8 levels (already compact ones unchanged), or plain ``dtype``."""
    embeddings = np.asarray(embeddings)
    if np.dtype(dtype) != np.uint8:
        return embeddings.astype(dtype)
    if embeddings.dtype == np.uint8:
        return embeddings
    return np.rint(np.clip(embeddings, 0.0, 1.0) * LEVELS).astype(np.uint8)


def expand(stored: np.ndarray) -> np.ndarray:
    """Compact embeddings back to float32 values in [0, 1] (float ones as float32)."""
    stored = np.asarray(stored)
    return stored.astype(np.float32) / LEVELS if stored.dtype == np.uint8 else stored.astype(np.float32)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="faceverify-head")


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _compact_logits(weights: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """w . |a - b| of uint8 rows (``first`` one row against every row of ``second``, or row by row), w in levels.

    A block at a time: OpenCV's absolute difference, widened to float32, one BLAS product; BLAS runs one thread per
    share (its own threads on top of the shares would fight them for the same cores: measured twice as slow)."""
    scaled = (weights / np.float32(LEVELS)).astype(np.float32)
    logits = np.empty(len(second), np.float32)
    tiled = np.ascontiguousarray(np.broadcast_to(first, (min(HEAD_ROWS, len(second)), first.shape[-1]))
                                 ) if first.ndim == 1 else None

    def scan(start: int, stop: int) -> None:  # OpenCV, numpy and BLAS release the GIL: shares run on all cores
        block = np.empty((min(HEAD_ROWS, stop - start), second.shape[-1]), np.float32)
        for begin in range(start, stop, HEAD_ROWS):
            end = min(begin + HEAD_ROWS, stop)
            probe = tiled[: end - begin] if tiled is not None else first[begin:end]
            part = block[: end - begin]
            part[...] = cv2.absdiff(second[begin:end], probe)
            logits[begin:end] = part @ scaled

    shares = (os.cpu_count() or 1) if len(second) >= PARALLEL_ROWS else 1
    cuts = [len(second) * i // shares for i in range(shares + 1)]
    with _blas().limit(limits=1, user_api="blas"):
        list(_pool().map(scan, cuts[:-1], cuts[1:])) if shares > 1 else scan(0, len(second))
    return logits


def _float_logits(weights: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """w . |a - b| of float rows, a block at a time with numpy's own loops (einsum): no large temporary, and no
    BLAS threads, which on a small machine fight the network's threads for the same cores."""
    logits = np.empty(len(first), np.float32)
    block = np.empty((min(HEAD_ROWS, len(first)), first.shape[1]), np.float32)
    for start in range(0, len(first), HEAD_ROWS):
        stop = min(start + HEAD_ROWS, len(first))
        part = block[: stop - start]
        np.abs(np.subtract(first[start:stop], second[start:stop], out=part, dtype=np.float32), out=part)
        logits[start:stop] = np.einsum("ij,j->i", part, weights)
    return logits


def head_scores(weights: np.ndarray, bias: float, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Siamese scores sigmoid(|e - g| w + b): one probe against every gallery row, or row by row. On compact
    (uint8) embeddings where either side is compact, else in float32."""
    probe, gallery = np.asarray(probe), np.asarray(gallery)
    if np.uint8 in (probe.dtype, gallery.dtype):
        shape = np.broadcast_shapes(probe.shape, gallery.shape)[:-1]
        first, second = compact(probe), compact(gallery)
        if first.ndim > 1:
            first, second = (np.ascontiguousarray(np.broadcast_to(side, (*shape, side.shape[-1])).reshape(
                -1, side.shape[-1])) for side in (first, second))
        logits = _compact_logits(weights, first, second.reshape(-1, second.shape[-1]))
    else:
        probe = np.asarray(probe, np.float32)
        if probe.ndim == 1:  # a private copy: left as a row of embed()'s output, the scan was measured 3x slower
            probe = probe.copy()
        first, second = np.broadcast_arrays(probe, gallery)
        shape = first.shape[:-1]
        logits = _float_logits(weights, first.reshape(-1, first.shape[-1]), second.reshape(-1, second.shape[-1]))
    logits += np.float32(bias)
    with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: the score is 0
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32).reshape(shape)


def pair_scores(embed: Callable[[np.ndarray], np.ndarray], head: Callable[[np.ndarray, np.ndarray], np.ndarray],
                images: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Scores for (first, second, ...) index rows into uint8 ``images``: each image is embedded once."""
    used, inverse = np.unique(np.asarray(rows)[:, :2], return_inverse=True)
    embeddings = embed(images[used])
    inverse = inverse.reshape(-1, 2)
    return head(embeddings[inverse[:, 0]], embeddings[inverse[:, 1]])
