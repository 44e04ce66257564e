"""Does LiteRT decide as TensorFlow did? Decisions on real faces, one engine against the other (issue 21's bar: at
most 1 in 1,000 differs), with the shipped generic model:

* LFW View 1 test pairs (1,000): a pair is accepted when its score passes the detection threshold, at the model's
  calibrated threshold and at the seed's 0.5;
* the person protocol, one-shot (``evaluate --person-protocol --one-shot``, on its View 1 training people, whom
  the shipped model never saw): every genuine and impostor probe's decision by the app's rule at the model's
  thresholds.

TensorFlow decides as faceverify did before (bfloat16 where the CPU has it natively). Needs TensorFlow (the
``train`` extra) and the shared LFW data::

    python benchmarks/runtime_agreement.py --data ../shared/data [--persons 3]
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from faceverify.enrollment.lfw import read_pairs_file
from faceverify.evaluation import person_protocol
from faceverify.evaluation.reference import TensorFlowModel
from faceverify.faces.pipeline import prepare_file
from faceverify.home.store import Store
from faceverify.model import shipped
from faceverify.model.runtime import load_runtime
from faceverify.verification.verifier import Verifier

ENGINES = {"LiteRT": load_runtime, "TensorFlow": TensorFlowModel}


def view1(data: Path) -> dict:
    pairs = read_pairs_file(data / "pairsDevTest.txt")
    files = sorted({path for pair in pairs for path in pair.paths})
    index = {path: i for i, path in enumerate(files)}
    crops = np.stack([prepare_file(data / "lfw" / path).pixels for path in files])
    rows = np.array([[index[p.paths[0]], index[p.paths[1]]] for p in pairs])
    labels = np.array([p.same for p in pairs], bool)
    with tempfile.TemporaryDirectory() as home:
        store = Store(Path(home)).ensure()
        scores = {name: loader(store).pair_scores(crops, rows) for name, loader in ENGINES.items()}
    result = {"pairs": len(rows), "max_score_difference": float(np.abs(scores["LiteRT"] - scores["TensorFlow"]).max())}
    for threshold in (shipped.calibration()["detection_threshold"], 0.5):
        lite, tf = scores["LiteRT"] > threshold, scores["TensorFlow"] > threshold
        result[f"threshold {threshold}"] = {"decisions_differing": int(np.sum(lite != tf)),
                                            "accuracy_litert": float(np.mean(lite == labels)),
                                            "accuracy_tensorflow": float(np.mean(tf == labels))}
    return result


def protocol(data: Path, persons: int) -> dict:
    decisions = {}
    for name, loader in ENGINES.items():
        person_protocol.Verifier = lambda store, loader=loader: Verifier(store, loader=loader)  # noqa: B023
        run = person_protocol.PersonProtocol(data / "lfw", data / "peopleDevTrain.txt", persons=persons, one_shot=True,
                                             negative_people=1)
        report, deciding, labels = run.run()
        per_probe = np.concatenate([np.full(t["genuine"] + t["impostors"], t["detection_threshold"])
                                    for t in report["trials"]])
        decisions[name] = (deciding > per_probe, labels, report)
    lite, labels, _ = decisions["LiteRT"]
    tf = decisions["TensorFlow"][0]
    return {"people": persons, "probes": len(labels), "decisions_differing": int(np.sum(lite != tf)),
            **{f"{name} FAR / FRR": (d[2]["far"], d[2]["frr"]) for name, d in decisions.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--persons", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({"view1_test_pairs": view1(args.data),
                      "person_protocol_one_shot": protocol(args.data, args.persons)}, indent=2))


if __name__ == "__main__":
    main()
