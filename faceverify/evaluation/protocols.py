"""Evaluation protocols: the training's validation split, and LFW's pairs files (View 1 and View 2)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from faceverify.enrollment.lfw import read_pairs_file
from faceverify.errors import FaceverifyError
from faceverify.faces.pipeline import prepare_file
from faceverify.files.inputs import load_json
from faceverify.home.store import Store
from faceverify.training.pairs import load_pair_data, make_pairs
from faceverify.verification.metrics import evaluate_scores
from faceverify.verification.verifier import Verifier

Progress = Callable[[int, int], None]


FINISHED_SCHEMA = {"type": "object", "required": ["config"], "properties": {"config": {
    "type": "object", "required": ["seed", "lfw_identities"],
    "properties": {"seed": {"type": "integer"}, "lfw_identities": {"type": "boolean"}}}}}


def evaluate_validation(store: Store, threshold: float = 0.5) -> tuple[dict, np.ndarray, np.ndarray]:
    """Report on the validation pairs of the last training (same seed, so the same split)."""
    path = store.results_dir / "training.json"
    try:
        config = load_json(path, str(path), FINISHED_SCHEMA)["config"]
    except (OSError, FaceverifyError):
        raise FaceverifyError("No finished training to evaluate: run `faceverify train` first") from None
    verifier = Verifier(store)
    data = load_pair_data(store, config["seed"], config["lfw_identities"])
    rows = make_pairs(data, data.validation, np.random.default_rng(config["seed"]))
    if len(rows) == 0:
        raise FaceverifyError("The validation split holds no pairs: enroll more images")
    scores = verifier.pair_scores(data.images, rows)
    labels = rows[:, 2].astype(np.float32)
    report = evaluate_scores(scores, labels, threshold).to_dict() | {"protocol": "validation split",
                                                                    "model_version": verifier.version}
    return report, scores, labels


def evaluate_lfw_pairs(store: Store, pairs_file: Path, lfw_dir: Path, threshold: float = 0.5,
                       on_progress: Progress | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """Report on an LFW pairs file; View 2's ten folds also get their accuracies, mean and deviation."""
    pairs = read_pairs_file(Path(pairs_file))
    root = Path(lfw_dir)
    if (root / "lfw").is_dir():
        root = root / "lfw"
    verifier = Verifier(store)
    files = sorted({path for pair in pairs for path in pair.paths})
    index = {path: i for i, path in enumerate(files)}
    crops = []
    for done, path in enumerate(files, start=1):
        crops.append(prepare_file(root / path).pixels)
        if on_progress:
            on_progress(done, len(files))
    rows = np.array([[index[p.paths[0]], index[p.paths[1]], p.same] for p in pairs])
    scores = verifier.pair_scores(np.stack(crops), rows)
    labels = rows[:, 2].astype(np.float32)
    report = evaluate_scores(scores, labels, threshold).to_dict() | {
        "protocol": f"LFW pairs {Path(pairs_file).name}", "model_version": verifier.version}
    folds = np.array([p.fold for p in pairs])
    if len(set(folds)) > 1:
        accuracies = [float(np.mean((scores[folds == f] > threshold) == labels[folds == f].astype(bool)))
                      for f in sorted(set(folds))]
        report |= {"fold_accuracies": accuracies, "accuracy_mean": float(np.mean(accuracies)),
                   "accuracy_std": float(np.std(accuracies))}
    return report, scores, labels
