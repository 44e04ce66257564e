"""Write the shipped model's impostor cohort to assets/ (maintainers only).

    python benchmarks/ship_cohort.py --lfw D/lfw --people D/peopleDevTrain.txt [--per-person 2]

The cohort is the faces of View 1 training people the shipped generic model never trained on and the person
protocol never measures with: the validation people of its stage-2 home (its stage-1 home trained on none of them;
see generic_model_home.py), at most ``--per-person`` images each. Their embeddings under the shipped model are
stored as uint8 (value x 255) with the weights' SHA-256, so a per-person threshold costs only head computations
(:mod:`faceverify.verification.cohort`). Prints the score change the uint8 storage causes.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generic_model_home import people  # noqa: E402

from faceverify.faces.pipeline import prepare_file  # noqa: E402
from faceverify.model import shipped  # noqa: E402
from faceverify.model.head import compact, expand  # noqa: E402
from faceverify.model.scorer import Scorer  # noqa: E402
from faceverify.training.pairs import split_keys  # noqa: E402
from faceverify.verification import cohort  # noqa: E402


def cohort_people(lfw: Path, people_file: Path) -> list[str]:
    """The stage-2 home's validation people, less anyone the stage-1 home trained on (asserted: none)."""
    stage1, stage2 = people(lfw, people_file, False), people(lfw, people_file, True)
    held_out = split_keys(sorted(stage2), 0)[1]
    assert not set(held_out) & set(split_keys(sorted(stage1), 0)[0])
    return sorted(held_out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--people", type=Path, required=True, help="peopleDevTrain.txt")
    parser.add_argument("--per-person", type=int, default=2)
    args = parser.parse_args(argv)
    names = cohort_people(args.lfw, args.people)
    files = [f for name in names for f in sorted((args.lfw / name).glob("*.jpg"))[: args.per_person]]
    started = time.monotonic()
    crops = np.stack([prepare_file(f).pixels for f in files])
    scorer = Scorer(shipped.load())
    embeddings = scorer.embed(crops)
    stored = compact(embeddings)
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(files), (2, 5000))
    exact = scorer.head(embeddings[first], embeddings[second])
    approximate = scorer.head(expand(stored[first]), expand(stored[second]))
    path = cohort.save_shipped(stored, shipped.provenance()["weights_sha256"], len(names))
    print(f"{len(names)} people, {len(files)} faces, {time.monotonic() - started:.0f} s; uint8 storage moves "
          f"scores by at most {np.abs(exact - approximate).max():.5f} (mean {np.abs(exact - approximate).mean():.6f}) "
          f"over 5,000 pairs; {path} {path.stat().st_size / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
