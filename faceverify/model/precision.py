"""Which numeric precision the network computes in on this machine: bfloat16 where the CPU has it natively.

On CPUs with AVX512-BF16 or AMX the convolutions run about twice as fast in bfloat16 (measured on this project's
2-core AMD EPYC: a 32-image training step 1.0-1.1 s against 2.2-3.0 s in float32); elsewhere bfloat16 is
emulated and slower, so float32 is kept. Weights and saved models are always float32.
``FACEVERIFY_PRECISION=float32`` (or ``bfloat16``) overrides the choice.

Deciding (:mod:`runtime`) computes with int8 weights on every CPU, unless ``FACEVERIFY_PRECISION=float32`` asks
for float32 throughout (exact to TensorFlow's float32 scores, twice as slow).
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"
INT8 = "int8"
_NATIVE_FLAGS = {"avx512_bf16", "amx_bf16"}


@cache
def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (read from /proc/cpuinfo; False where it cannot be read)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and _NATIVE_FLAGS & set(line.split()) for line in text.splitlines())


def _chosen() -> str:
    return os.environ.get("FACEVERIFY_PRECISION", "").strip().lower()


def runtime_precision() -> str:
    """The runtime model's weights: ``int8`` (LiteRT's dynamic-range quantisation) or ``float32`` where asked."""
    return FLOAT32 if _chosen() in ("float32", "fp32") else INT8


def compute_policy() -> str:
    """The Keras dtype policy of the network's convolutions: ``mixed_bfloat16`` or ``float32``."""
    chosen = _chosen()
    if chosen in ("float32", "fp32"):
        return FLOAT32
    if chosen in ("bfloat16", "bf16", MIXED_BFLOAT16):
        return MIXED_BFLOAT16
    return MIXED_BFLOAT16 if native_bfloat16() else FLOAT32
