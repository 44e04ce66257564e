"""Generic-model levers side by side at equal steps (issue 18 part 3; maintainers only).

    python benchmarks/generic_levers.py HOME --work W --lfw D/lfw --pairs D/pairsDevTest.txt \
        --teacher T.npz --out docs/accuracy/levers_part3.json [--steps 1000] [--learning-rate 5e-5] \
        [--rounds N] [--continue-home] LEVER ...

HOME is a generic home (``benchmarks/generic_model_home.py``). Each LEVER (names below, joined by ``+`` for a
combination; ``start`` is the shipped model untrained) trains a copy of HOME, W/LEVER, from the shipped model (with
``--continue-home``, from HOME's own model) for exactly ``--steps`` steps (epochs of 200, the same seed and constant
learning rate, all else the defaults of ``faceverify train --lfw-identities``), then measures it on the validation
people of HOME's split (never trained on: the 8,192 calibration pairs, the figures to choose by) and, for the report
only, on ``--pairs`` at its calibrated threshold. Each lever's figures are added to ``--out`` as soon as they are
measured.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from faceverify.evaluation.protocols import evaluate_lfw_pairs
from faceverify.home.store import Store
from faceverify.model import shipped
from faceverify.model.scorer import Scorer
from faceverify.training.calibration import calibrate
from faceverify.training.pairs import load_pair_data
from faceverify.training.trainer import Trainer, TrainingConfig
from faceverify.verification import thresholds

STEPS_PER_EPOCH = 200
LEVERS = {  # TrainingConfig fields each lever changes; "teacher" is completed with --teacher
    "baseline": {},
    "teacher": {"teacher_weight": 0.5},
    "identity-head": {"identity_weight": 0.1},
    "weaker-augmentation": {"augment_strength": 0.5},
    "stronger-augmentation": {"augment_strength": 2.0},
}


def lever_config(name: str, args: argparse.Namespace, continued: bool = False) -> TrainingConfig:
    """The training of a lever (or ``a+b`` combination) at the run's steps and rate; ``continued``: from the home's
    model rather than the shipped one."""
    fields = {}
    for part in name.split("+"):
        fields |= LEVERS[part] | ({"teacher": str(args.teacher)} if part == "teacher" else {})
    return TrainingConfig(epochs=args.steps // STEPS_PER_EPOCH, steps_per_epoch=STEPS_PER_EPOCH,
                          learning_rate=args.learning_rate, lfw_identities=True, replace_if_worse=True,
                          fine_tune=continued, **fields)


def measure(name: str, args: argparse.Namespace, save) -> dict:
    """Train W/NAME (unless ``start``) and measure it on the validation people and the test pairs.

    With ``--rounds`` above 1 (or ``--continue-home``), rounds of ``--steps`` continue while the validation ROC AUC
    rises: the first round that does not raise it is undone, and the rounds stop (figures are saved after each)."""
    home = args.work / name
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(args.home, home, symlinks=True)
    store, start = Store(home), time.monotonic()
    figures: dict = {}
    if name == "start":
        data = load_pair_data(store, 0, lfw_identities=True)
        validation = calibrate(Scorer(shipped.load()), data, 0)["validation"]
    else:
        figures["rounds"], best = [], store.model_path.parent.with_name("best-model")
        history = store.results_dir / "training.json"  # the kept round's, as ship_generic_model.py reads it
        # with --continue-home, the first round too must beat the model it continues (its saved calibration's figures)
        validation = json.loads(store.calibration_path.read_text())["validation"] if args.continue_home else None
        for round_ in range(args.rounds):
            config = lever_config(name, args, continued=round_ > 0 or args.continue_home)
            if validation is not None:
                shutil.rmtree(best, ignore_errors=True)
                shutil.copytree(store.model_path.parent, best)
                shutil.copy2(history, best / history.name)
            result = Trainer(store, config).run()
            figures["rounds"].append({
                "validation_roc_auc": round(result.calibration["validation"]["roc_auc"], 4),
                "validation_eer": round(result.calibration["validation"]["eer"], 4),
                "train_seconds": round(sum(e.seconds for e in result.history), 1),
                "history": [{"loss": round(e.loss, 4), "val_loss": round(e.val_loss, 4),
                             "val_accuracy": round(e.val_accuracy, 4)} for e in result.history]})
            save(figures | {"config": asdict(config)})
            if validation is not None and result.calibration["validation"]["roc_auc"] <= validation["roc_auc"]:
                shutil.rmtree(store.model_path.parent)
                (best / history.name).replace(history)
                best.rename(store.model_path.parent)
                figures["rounds"][-1]["undone"] = True
                break
            validation = result.calibration["validation"]
        figures |= {"config": asdict(lever_config(name, args)), "steps": args.steps * sum(
            "undone" not in r for r in figures["rounds"])}
    threshold = thresholds.threshold(store, "detection_threshold")
    test, _, _ = evaluate_lfw_pairs(store, args.pairs, args.lfw, threshold)
    return figures | {
        "validation_roc_auc": round(validation["roc_auc"], 4), "validation_eer": round(validation["eer"], 4),
        "detection_threshold": threshold,
        "test": {"accuracy": round(test["accuracy"], 4), "roc_auc": round(test["roc_auc"], 4),
                 "eer": round(test["eer"], 4)},
        "seconds": round(time.monotonic() - start, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--pairs", type=Path, required=True, help="pairsDevTest.txt: reported, never chosen by")
    parser.add_argument("--teacher", type=Path, help="descriptors from benchmarks/teacher_descriptors.py")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--rounds", type=int, default=1, help="at most this many rounds of --steps (see measure)")
    parser.add_argument("--continue-home", action="store_true",
                        help="the first round too continues HOME's own model (a lever's W/LEVER), not the shipped one")
    parser.add_argument("levers", nargs="+")
    args = parser.parse_args(argv)
    unknown = {p for name in args.levers for p in name.split("+")} - set(LEVERS) - {"start"}
    if unknown or (args.teacher is None and any("teacher" in name for name in args.levers)):
        parser.error(f"unknown levers {sorted(unknown)} (or --teacher missing); known: start, {', '.join(LEVERS)}")
    command = (f"python benchmarks/generic_levers.py HOME --work W --lfw D/lfw --pairs D/{args.pairs.name} --teacher "
               f"T.npz --out {args.out.name} --steps {args.steps} --learning-rate {args.learning_rate} --rounds "
               f"{args.rounds}{' --continue-home' if args.continue_home else ''}")
    for name in args.levers:
        def save(figures: dict, name: str = name) -> None:
            report = json.loads(args.out.read_text()) if args.out.exists() else {"variants": {}}
            report["variants"][name] = figures | {"command": f"{command} {name}"}
            args.out.write_text(json.dumps(report, indent=1) + "\n")

        figures = measure(name, args, save)
        save(figures)
        print(name, json.dumps({k: v for k, v in figures.items() if k not in ("config", "rounds")}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
