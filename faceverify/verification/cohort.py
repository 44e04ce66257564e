"""The impostor cohort: faces of people the model in use never trained on, whose scores set the security levels.

For the shipped generic model the cohort ships beside it (``assets/generic-cohort.npz``): the embeddings, under that
model, of View 1 training people it held out (see ``benchmarks/ship_cohort.py``), stored as uint8 with the weights'
SHA-256, so that they are never used with another model. For a model trained in the home, the cohort is the home's
held-out negatives: the negatives' people its training's split put aside for validation (it never trained on them;
the trainer lists them in ``model/cohort.json``), at most COHORT_PER_PERSON images each, seen through each enrolled
person's camera (:func:`look_cohort`), embedded once per model version and person, cached beside their gallery.
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from faceverify.errors import ModelError
from faceverify.faces.look import apply_filter, gain_filter, radial_amplitude, radial_gains
from faceverify.files import atomic, confine
from faceverify.home.store import EMBEDDINGS, Store, read_crops, validate_name
from faceverify.model import shipped
from faceverify.model.head import compact

SHIPPED_COHORT = "generic-cohort.npz"
LOOK_SUFFIX = "@look.npz"  # "<name>@look.npz" in the embeddings folder of a model version; "@" is in no name
LOOK_TOLERANCE = 0.1  # a look cohort is made again when a ring's gain moves by more than this share (measured on
# Colin Powell's 22 LFW images: one image more or less moves it by 7%, 5 webcam-look images joining by 11%)
COHORT_PER_PERSON = 2  # images of each held-out person at most: many people count for more than many images
COHORT_MAX = 1500  # faces at most (a home with all of LFW imported: embedding them stays well under a minute)
COHORT_BYTES = 64 * 2**20  # a cached look cohort is at most COHORT_MAX x 4,096 bytes (6 MB)

Embed = Callable[[np.ndarray], np.ndarray]


def save_shipped(stored: np.ndarray, weights_sha256: str, people: int, folder: Path | None = None) -> Path:
    """Write the shipped model's cohort (uint8 embeddings, the model's weights hash, the number of people)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, embeddings=stored, weights_sha256=np.asarray(weights_sha256),
                        people=np.asarray(people))
    path = Path(folder or shipped.asset_dir()) / SHIPPED_COHORT
    atomic.write_bytes(path, buffer.getvalue())
    return path


@cache
def shipped_cohort() -> np.ndarray | None:
    """The shipped cohort's embeddings (compact, see :mod:`~faceverify.model.head`), or None when it is missing,
    damaged or made for other weights."""
    try:
        with np.load(shipped.asset_dir() / SHIPPED_COHORT, allow_pickle=False) as saved:
            stored, made_for = saved["embeddings"], str(saved["weights_sha256"])
        if made_for != shipped.provenance()["weights_sha256"] or stored.dtype != np.uint8 or stored.ndim != 2:
            return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, ModelError):
        return None
    return stored


def cohort_list_path(store: Store) -> Path:
    return confine.inside(store.root, "model", "cohort.json")


def save_held_out(store: Store, people: list[str]) -> None:
    """Record which negatives' people the home's new model never trained on (its training's validation people)."""
    atomic.write_text(cohort_list_path(store), json.dumps(sorted(people)))


def held_out_negatives(store: Store) -> list[Path]:
    """Up to COHORT_MAX images of the people the home's model never trained on, COHORT_PER_PERSON each."""
    try:
        people = json.loads(cohort_list_path(store).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    negatives = store.negatives()
    names = [name for name in people if isinstance(name, str) and name in negatives] if isinstance(people, list) else []
    return [path for name in names for path in negatives[name][:COHORT_PER_PERSON]][:COHORT_MAX]


def cohort_embeddings(store: Store, cache_dir: str, name: str, embed: Embed) -> np.ndarray:
    """The cohort a person's threshold is set against, compact (empty when there is none): the shipped one, or the
    home's held-out negatives seen through the person's camera (:func:`look_cohort`)."""
    if store.has_own_model():
        return look_cohort(store, cache_dir, name, embed)
    shipped_faces = shipped_cohort()
    return shipped_faces if shipped_faces is not None else np.zeros((0, 0), np.uint8)


def look_cohort(store: Store, cache_dir: str, name: str, embed: Embed) -> np.ndarray:
    """The home's held-out negatives given the look of the person's enrolled images (colour cast, blur, noise: see
    :mod:`~faceverify.faces.look`), embedded, compact. An impostor at the person's door comes through the person's
    camera: measured plain, the cohort let 1.5% of same-camera strangers in at Standard after a training.

    Cached per model and person in ``<cache dir>/<name>@look.npz`` (removed with the person), read and written through
    no link (see :mod:`confine`), with the look it was made for: made again only when the person's images change
    their look by more than LOOK_TOLERANCE (more images from the same camera keep it; 8 s for 1,500 faces here).
    """
    faces = held_out_negatives(store)
    images = store.images(name, "anchor") + store.images(name, "positive")
    if not faces or not images:
        return np.zeros((0, 0), np.uint8)
    look = radial_amplitude(read_crops(images))
    parts = (*EMBEDDINGS, cache_dir, f"{validate_name(name)}{LOOK_SUFFIX}")
    data = confine.read_bytes(store.root, *parts, limit=COHORT_BYTES)
    try:
        with np.load(io.BytesIO(data or b""), allow_pickle=False) as saved:
            stored, made_for, reference = saved["embeddings"], saved["look"], saved["reference"]
        if (stored.dtype == np.uint8 and stored.ndim == 2 and len(stored) == len(faces)
                and made_for.shape == look.shape == reference.shape
                and _same_look(radial_gains(look, reference), radial_gains(made_for, reference))):
            return stored
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass
    crops = read_crops(faces)
    reference = radial_amplitude(crops)
    gains = gain_filter(radial_gains(look, reference))
    stored = compact(embed(np.stack([apply_filter(crop, gains) for crop in crops])))
    buffer = io.BytesIO()
    np.savez(buffer, embeddings=stored, look=look, reference=reference)
    confine.write_bytes(store.root, *parts, data=buffer.getvalue())
    return stored


def _same_look(gains: np.ndarray, made_for: np.ndarray) -> bool:
    """Whether two cameras' gains per ring differ nowhere by more than LOOK_TOLERANCE."""
    return bool(np.all(np.abs(gains / made_for - 1.0) <= LOOK_TOLERANCE))
