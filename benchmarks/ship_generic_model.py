"""Measure a trained generic model on View 1's test pairs and write it, compact, to assets/ (maintainers only).

    python benchmarks/ship_generic_model.py HOME --lfw ../shared/data/lfw --pairs ../shared/data/pairsDevTest.txt \
        [--ship] [--command "how HOME's model was trained"] [--data "who it was trained on"]
        [--continued-from assets/generic-model.json]

Prints, side by side in one run on the same pairs: the float32 model, the compact (shipped) weights, bfloat16
inference, and test-time flipping (each image's embedding averaged with its mirror's): accuracy at the model's
calibrated threshold, ROC AUC, EER, and how many decisions differ from float32's. With ``--ship`` the compact
model and its provenance (data, steps, time, these figures, the command) are written to assets/; a model trained
in stages names the provenance of the stage it continued (``--continued-from``, read before it is overwritten).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from faceverify.enrollment.lfw import read_pairs_file
from faceverify.faces.pipeline import prepare_file
from faceverify.home.store import Store
from faceverify.model import shipped
from faceverify.model.current import calibrated_thresholds
from faceverify.model.network import load_model, make_siamese, with_policy
from faceverify.model.precision import MIXED_BFLOAT16, native_bfloat16
from faceverify.model.scorer import Scorer
from faceverify.verification.metrics import evaluate_scores

DATA = ("LFW View 1 training people (peopleDevTrain.txt) less the person protocol's chosen people and impostors "
        "(seed 0): the protocol's negatives' people")


def _crops(lfw: Path, pairs_file: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every image of the pairs file once (uint8 crops), the index rows of the pairs, and their labels."""
    pairs = read_pairs_file(pairs_file)
    index: dict[str, int] = {}
    rows = []
    for pair in pairs:
        ends = []
        for path in pair.paths:
            ends.append(index.setdefault(path, len(index)))
        rows.append(ends)
    crops = np.stack([prepare_file(lfw / path).pixels for path in index])
    return crops, np.array(rows), np.array([pair.same for pair in pairs], np.float32)


def _scores(model, crops: np.ndarray, rows: np.ndarray, flip: bool = False) -> np.ndarray:
    scorer = Scorer(model)
    embeddings = scorer.embed(crops)
    if flip:
        embeddings = (embeddings + scorer.embed(crops[:, :, ::-1])) / 2
    return scorer.head(embeddings[rows[:, 0]], embeddings[rows[:, 1]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="the home the generic model was trained in")
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--pairs", type=Path, required=True, help="pairsDevTest.txt (View 1 test pairs)")
    parser.add_argument("--ship", action="store_true", help="write the compact model to assets/")
    parser.add_argument("--command", default="", help="the command that trained it (for the provenance)")
    parser.add_argument("--data", default=DATA, help="the people it was trained on (for the provenance)")
    parser.add_argument("--continued-from", type=Path,
                        help="the provenance JSON of the model this training started from")
    args = parser.parse_args(argv)

    store = Store(args.home)
    model = load_model(store.model_path)
    calibration = calibrated_thresholds(store)
    threshold = float(calibration.get("detection_threshold", 0.5))
    started = time.monotonic()
    crops, rows, labels = _crops(args.lfw, args.pairs)
    print(f"{len(rows)} pairs, {len(crops)} images prepared in {time.monotonic() - started:.0f} s", file=sys.stderr)

    compact = make_siamese()
    compact.set_weights(shipped.expand(shipped.compact(model.get_weights()), len(compact.weights)))
    variants = {"float32": (model, False), "compact": (compact, False), "compact + flip": (compact, True)}
    if native_bfloat16():
        variants["compact, bfloat16"] = (with_policy(compact, MIXED_BFLOAT16), False)
    figures, reference = {}, None
    print(f"{'variant':<20} {'accuracy':>9} {'ROC AUC':>8} {'EER':>6} {'decisions changed':>18}")
    for name, (variant, flip) in variants.items():
        scores = _scores(variant, crops, rows, flip)
        report = evaluate_scores(scores, labels, threshold)
        decided = scores > threshold
        changed = 0 if reference is None else int(np.sum(decided != reference))
        reference = decided if reference is None else reference
        figures[name] = {"accuracy": round(report.accuracy, 4), "roc_auc": round(report.roc_auc, 4),
                         "eer": round(report.eer, 4), "decisions_changed_vs_float32": changed}
        print(f"{name:<20} {report.accuracy:>9.4f} {report.roc_auc:>8.4f} {report.eer:>6.4f} {changed:>18}")

    if args.ship:
        history = json.loads((store.results_dir / "training.json").read_text("utf-8"))
        earlier = json.loads(args.continued_from.read_text("utf-8")) if args.continued_from else None
        record = {
            "model": "faceverify generic Siamese model (the seed's architecture, 38,964,545 parameters)",
            "data": args.data,
            "people": len(store.negatives()), "images": store.negative_count(),
            "training": history["config"], "epochs": len(history["history"]),
            "steps": sum(e["pairs"] for e in history["history"]) // (history["config"]["batch_size"]
                                                                     * (history["config"]["batch_size"] - 1) // 2),
            "training_seconds": round(sum(e["seconds"] for e in history["history"])),
            "machine": f"{platform.machine()}, {platform.processor() or 'CPU'}",
            "command": args.command,
            "calibration": {k: v for k, v in calibration.items() if k not in ("model_version", "model_stamp")},
            "view1_test_pairs": figures,
            "storage": "int8 embedding layer (one scale per output unit), float16 convolutions, float32 small weights",
        }
        if earlier:
            record["continued_from"] = {key: earlier[key] for key in (
                "data", "people", "images", "training", "steps", "training_seconds", "command", "view1_test_pairs")}
            record["total_steps"] = earlier.get("total_steps", earlier["steps"]) + record["steps"]
            record["total_training_seconds"] = (earlier.get("total_training_seconds", earlier["training_seconds"])
                                                + record["training_seconds"])
        path = shipped.save(model, shipped.asset_dir(), record)
        print(f"shipped: {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
