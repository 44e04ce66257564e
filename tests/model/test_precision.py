"""The precision choice: bfloat16 only where the CPU computes it natively, float32 elsewhere and in saved models."""
from __future__ import annotations

import numpy as np
import pytest

from faceverify.model import precision
from faceverify.model.precision import FLOAT32, MIXED_BFLOAT16, compute_policy

TOLERANCE = 0.03  # largest difference between a bfloat16 and a float32 score of the same pair (measured: see README)


@pytest.mark.parametrize("flags, native", [
    ("fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni", True),
    ("fpu sse2 avx2 amx_tile amx_bf16", True),
    ("fpu sse2 avx2 avx512f avx512_vnni", False),  # AVX-512 alone emulates bfloat16: slower than float32
])
def test_native_bfloat16_is_read_from_the_cpu_flags(flags, native, tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    real_path = precision.Path
    monkeypatch.setattr(precision, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    precision.native_bfloat16.cache_clear()
    try:
        assert precision.native_bfloat16() is native
        monkeypatch.delenv("FACEVERIFY_PRECISION", raising=False)
        assert compute_policy() == (MIXED_BFLOAT16 if native else FLOAT32)
    finally:
        precision.native_bfloat16.cache_clear()


def test_the_environment_overrides_the_choice(monkeypatch):
    monkeypatch.setenv("FACEVERIFY_PRECISION", "float32")
    assert compute_policy() == FLOAT32
    monkeypatch.setenv("FACEVERIFY_PRECISION", "bfloat16")
    assert compute_policy() == MIXED_BFLOAT16


def test_bfloat16_scores_agree_with_float32_on_real_faces(lfw_dir):
    """The shipped model on real LFW crops: every pair's score within TOLERANCE of float32's."""
    from faceverify.faces.pipeline import prepare_file
    from faceverify.model import shipped
    from faceverify.model.network import with_policy
    from faceverify.model.scorer import Scorer

    paths = sorted(lfw_dir.glob("*/*_000[12].jpg"))[:24]
    crops = np.stack([prepare_file(path).pixels for path in paths])
    model = shipped.load()
    rows = np.array([(i, j) for i in range(len(crops)) for j in range(i + 1, len(crops))])
    exact = Scorer(model).pair_scores(crops, rows)
    fast = Scorer(with_policy(model, MIXED_BFLOAT16)).pair_scores(crops, rows)
    assert np.abs(fast - exact).max() < TOLERANCE
    assert exact.std() > 0.01  # the scores differ from pair to pair: the agreement is not that of constants
