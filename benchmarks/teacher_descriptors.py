"""dlib's ResNet face descriptors of a generic home's training people, for the teacher lever (maintainers only).

    python benchmarks/teacher_descriptors.py HOME --lfw D/lfw --out OUT.npz

For every image of the people on the training side of HOME's deterministic split (seed 0; the validation people
are never described, nor anyone outside the home), dlib's 5-point landmarks on the face the app's pipeline finds
(the centre square where it finds none) and its 128-d descriptor of the 150x150 chip from the original LFW image.
OUT holds ``names`` (``Person/Person_0001``) and ``descriptors`` (float32, n x 128); it belongs outside the project.
The descriptors are used only while training (``TrainingConfig.teacher``), never at run time.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from faceverify.faces.pipeline import centre_square, detect_faces, read_image
from faceverify.home.store import Store
from faceverify.training.pairs import split_keys


def describe(rgb: np.ndarray, predictor, network) -> np.ndarray:
    """dlib's descriptor of the largest face the app detects (else of the centre square)."""
    import dlib

    boxes = detect_faces(rgb)
    x, y, w, h = boxes[0] if boxes else centre_square(rgb.shape)
    shape = predictor(rgb, dlib.rectangle(x, y, x + w, y + h))
    chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
    return np.asarray(network.compute_face_descriptor(chip), np.float32)


def main(argv: list[str] | None = None) -> int:
    import dlib
    import face_recognition_models as models

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    negatives = Store(args.home).negatives()
    train_people, _ = split_keys(list(negatives), args.seed)
    names = [f"{person}/{path.stem}" for person in sorted(train_people) for path in negatives[person]]
    predictor = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    network = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    start, descriptors = time.monotonic(), []
    for k, name in enumerate(names, start=1):
        descriptors.append(describe(np.ascontiguousarray(read_image(args.lfw / f"{name}.jpg")), predictor, network))
        if k % 500 == 0:
            print(f"{k}/{len(names)} in {time.monotonic() - start:.0f} s", flush=True)
    np.savez(args.out, names=np.asarray(names), descriptors=np.stack(descriptors))
    print(f"{len(names)} images of {len(train_people)} people in {time.monotonic() - start:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
