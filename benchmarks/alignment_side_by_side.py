"""Eye alignment against the plain Haar box crop, side by side on the same data and the same training budget.

    python benchmarks/alignment_side_by_side.py --lfw ../shared/data/lfw --people ../shared/data/peopleDevTrain.txt \
        --pairs ../shared/data/pairsDevTest.txt --work W [--steps 400] [--max-people 1000]

For each arm (aligned, box crop) the same View 1 training people are imported into a home of its own, a generic
model is trained from scratch for the same number of steps, and View 1's test pairs are scored with crops made the
same way. The box-crop arm is the same code with the landmark step switched off (as when landmarks fail).
Prints accuracy at each model's calibrated threshold, ROC AUC and EER for both arms.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from faceverify.enrollment.enroll import import_lfw
from faceverify.enrollment.lfw import read_pairs_file, read_people_file
from faceverify.faces import pipeline as faces
from faceverify.home.store import Store
from faceverify.model.current import calibrated_thresholds
from faceverify.model.network import load_model
from faceverify.model.scorer import Scorer
from faceverify.training.pairs import split_keys
from faceverify.training.trainer import Trainer, TrainingConfig
from faceverify.verification.metrics import evaluate_scores


def _arm(aligned: bool, args: argparse.Namespace, people: list[str]) -> dict:
    if not aligned:
        faces.find_landmarks = lambda rgb, box: None  # the fallback path, everywhere in this process
    store = Store(args.work / ("aligned" if aligned else "box")).ensure()
    if not store.negatives_dir.is_dir():
        import_lfw(store, args.lfw, set(people))
    started = time.monotonic()
    result = Trainer(store, TrainingConfig(lfw_identities=True, from_scratch=True, epochs=args.steps // 100,
                                           steps_per_epoch=100)).run()
    seconds = time.monotonic() - started
    pairs = read_pairs_file(args.pairs)
    paths = sorted({p for pair in pairs for p in pair.paths})
    index = {p: i for i, p in enumerate(paths)}
    crops = np.stack([faces.prepare_file(args.lfw / p).pixels for p in paths])
    rows = np.array([[index[a], index[b]] for a, b in (pair.paths for pair in pairs)])
    labels = np.array([pair.same for pair in pairs], np.float32)
    scorer = Scorer(load_model(store.model_path))
    embeddings = scorer.embed(crops)
    scores = scorer.head(embeddings[rows[:, 0]], embeddings[rows[:, 1]])
    threshold = float(calibrated_thresholds(store).get("detection_threshold", 0.5))
    report = evaluate_scores(scores, labels, threshold)
    steps = sum(e.pairs for e in result.history) // (32 * 31 // 2)
    return {"arm": "aligned" if aligned else "box crop", "steps": steps, "seconds": round(seconds),
            "accuracy": round(report.accuracy, 4), "roc_auc": round(report.roc_auc, 4), "eer": round(report.eer, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--people", type=Path, required=True, help="peopleDevTrain.txt")
    parser.add_argument("--pairs", type=Path, required=True, help="pairsDevTest.txt")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=400, help="training steps of each arm (hundreds)")
    parser.add_argument("--max-people", type=int, default=1000)
    args = parser.parse_args()
    people, _ = split_keys([n for n, _ in read_people_file(args.people)], 0, 0.7)
    rows = [_arm(True, args, people[: args.max_people]), _arm(False, args, people[: args.max_people])]
    print(f"{'arm':<10} {'steps':>6} {'seconds':>8} {'accuracy':>9} {'ROC AUC':>8} {'EER':>6}")
    for row in rows:
        print(f"{row['arm']:<10} {row['steps']:>6} {row['seconds']:>8} {row['accuracy']:>9.4f} "
              f"{row['roc_auc']:>8.4f} {row['eer']:>6.4f}")
    (args.work / "alignment_side_by_side.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
