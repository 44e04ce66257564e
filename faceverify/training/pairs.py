"""Labelled pairs from the store, the deterministic 70/30 split, and the tf.data pipeline.

Identities come from two places: enrolled people (anchors paired with positives) and, optionally,
LFW people with two or more images (any two of their images form a positive pair). Negatives pair
an anchor with an image of somebody else: an LFW negative or another enrolled person.

Every source image lands in exactly one split. Enrolled people's images are split per person and
role (70% of their anchors train, 30% validate; the same for positives); LFW images are split by
whole identity, so the validation people are never seen in training.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from faceverify.errors import FaceverifyError
from faceverify.faces.look import apply_filter, transfer_filter
from faceverify.home.store import Store, read_crops

TRAIN_SHARE = 0.7
MAX_PAIRS_PER_IDENTITY = 10  # LFW identities: positive pairs per identity and epoch (George W Bush has 530 images)
ENROLLED_PER_BATCH = 8  # images of one enrolled person in a training batch
LFW_PER_BATCH = 2  # images of each LFW identity in a training batch (with --lfw-identities)
LOOK_SHARE = 0.5  # chance that another person's images in a batch get the enrolled person's camera look
LOOK_SAMPLE = 512  # LFW images the camera look is measured against


@dataclass
class Identity:
    """One person's images, as indices into :attr:`PairData.images`."""

    name: str
    anchors: list[int]
    positives: list[int]  # equal to anchors for LFW identities (any two images match)
    enrolled: bool


@dataclass
class Split:
    """The identities and negative pool of one side of the split."""

    identities: list[Identity] = field(default_factory=list)
    negatives: list[int] = field(default_factory=list)
    negative_people: list[str] = field(default_factory=list)  # the LFW people whose images are in ``negatives``


@dataclass
class PairData:
    """Every crop the training uses, in memory (uint8), and the train/validation splits."""

    images: np.ndarray
    owners: np.ndarray  # per image: index of its identity group (for "somebody else" checks)
    train: Split
    validation: Split
    names: list[str] = field(default_factory=list)  # per image: "folder/file stem" (``Person/Person_0001``)


def _order(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_keys(keys: list[str], seed: int, share: float = TRAIN_SHARE) -> tuple[list[str], list[str]]:
    """Deterministically split ``keys`` into (train, validation): the same seed always gives the same split."""
    ordered = sorted(keys, key=lambda k: _order(seed, k))
    cut = round(len(ordered) * share)
    if len(ordered) >= 2:
        cut = min(max(cut, 1), len(ordered) - 1)
    return ordered[:cut], ordered[cut:]


def load_pair_data(store: Store, seed: int = 0, lfw_identities: bool = False) -> PairData:
    """Read the store's crops and split them; raises FaceverifyError when there is nothing to train on."""
    paths: list = []
    owners: list[int] = []
    train, validation = Split(), Split()

    def add(group: int, chosen: list) -> list[int]:
        start = len(paths)
        paths.extend(chosen)
        owners.extend([group] * len(chosen))
        return list(range(start, len(paths)))

    for group, person in enumerate(store.people()):
        halves = {}
        for role in ("anchor", "positive"):
            by_name = {p.name: p for p in store.images(person.name, role)}
            halves[role] = [[by_name[k] for k in part] for part in split_keys(list(by_name), seed)]
        for side, half in ((train, 0), (validation, 1)):
            anchors = add(group, halves["anchor"][half])
            positives = add(group, halves["positive"][half])
            side.negatives.extend(anchors + positives)
            if anchors and positives:
                side.identities.append(Identity(person.name, anchors, positives, enrolled=True))

    negatives = store.negatives()
    train_names, validation_names = split_keys(list(negatives), seed)
    groups = {name: len(store.people()) + i for i, name in enumerate(negatives)}
    for side, names in ((train, train_names), (validation, validation_names)):
        side.negative_people = list(names)
        for name in names:
            indices = add(groups[name], negatives[name])
            side.negatives.extend(indices)
            if lfw_identities and len(indices) >= 2:
                side.identities.append(Identity(name, indices, indices, enrolled=False))

    if not train.identities:
        raise FaceverifyError(
            "Nothing to train on: enroll a person with at least 2 anchors and 2 positives"
            " (or import LFW and use --lfw-identities)"
        )
    owner_array = np.asarray(owners)
    if any(len(np.unique(owner_array[side.negatives])) < 2 for side in (train, validation)):
        raise FaceverifyError("Not enough negative images: import LFW first (faceverify import-lfw PATH)")
    return PairData(read_crops(paths), owner_array, train, validation, [f"{p.parent.name}/{p.stem}" for p in paths])


def make_pairs(data: PairData, split: Split, rng: np.random.Generator, negatives_per_positive: int = 1) -> np.ndarray:
    """Labelled pairs as an (n, 3) int array of (first, second, label), shuffled.

    Enrolled people: every (anchor, positive) combination; LFW identities: up to
    MAX_PAIRS_PER_IDENTITY random pairs of two different images. Each positive pair gets
    ``negatives_per_positive`` negative partners: the same first image and an image of somebody else.
    """
    positives = []
    for identity in split.identities:
        if identity.enrolled:
            positives += [(a, p) for a in identity.anchors for p in identity.positives]
        else:
            members = np.asarray(identity.anchors)
            count = min(MAX_PAIRS_PER_IDENTITY, len(members) * (len(members) - 1) // 2)
            for _ in range(count):
                a, p = rng.choice(members, 2, replace=False)
                positives.append((int(a), int(p)))
    pool = np.asarray(split.negatives)
    first = np.repeat(np.asarray([a for a, _ in positives], int), negatives_per_positive)
    partners = pool[rng.integers(0, len(pool), len(first))]
    clash = data.owners[partners] == data.owners[first]
    while clash.any():  # redraw partners that happen to be the same person
        partners[clash] = pool[rng.integers(0, len(pool), int(clash.sum()))]
        clash = data.owners[partners] == data.owners[first]
    rows = np.concatenate(
        [
            np.column_stack([[a for a, _ in positives], [p for _, p in positives], np.ones(len(positives), int)]),
            np.column_stack([first, partners, np.zeros(len(first), int)]),
        ]
    )
    return rows[rng.permutation(len(rows))]


def sample_batch(data: PairData, split: Split, size: int, rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
    """Indices of ``size`` training images whose every pair is a labelled example, and the enrolled person's group.

    Half the batch holds identities with several images: one enrolled person (ENROLLED_PER_BATCH of
    their images) when there is one, then LFW_PER_BATCH images of further identities; the rest are
    single negatives. Two images are a positive pair when they have the same owner.
    """
    enrolled = [i for i, identity in enumerate(split.identities) if identity.enrolled]
    order = list(rng.permutation(len(split.identities)))
    if enrolled:
        first = enrolled[rng.integers(len(enrolled))]
        order.remove(first)
        order.insert(0, first)
    chosen: list[int] = []
    for rank, position in enumerate(order):
        identity = split.identities[position]
        members = np.unique(identity.anchors + identity.positives)
        take = min(ENROLLED_PER_BATCH if identity.enrolled and rank == 0 else LFW_PER_BATCH, len(members),
                   size // 2 - len(chosen))
        if take < 2:
            break
        chosen.extend(rng.choice(members, take, replace=False).tolist())
    pool = np.setdiff1d(split.negatives, chosen)
    singles = rng.choice(pool, size - len(chosen), replace=len(pool) < size - len(chosen))
    group = int(data.owners[split.identities[order[0]].anchors[0]]) if enrolled else None
    return np.concatenate([np.asarray(chosen, int), singles]), group


def camera_looks(data: PairData, seed: int) -> dict[int, np.ndarray]:
    """Per enrolled person (by owner group): the filter that gives other people's images their camera's look."""
    enrolled = [i for i in data.train.identities if i.enrolled]
    groups = {int(data.owners[i.anchors[0]]) for i in enrolled}
    others = [n for n in data.train.negatives if int(data.owners[n]) not in groups]
    if not (enrolled and others):
        return {}
    sample = np.random.default_rng(seed).permutation(others)[:LOOK_SAMPLE]
    return {int(data.owners[i.anchors[0]]): transfer_filter(data.images[sorted(set(i.anchors + i.positives))],
                                                              data.images[sample]) for i in enrolled}

def epoch_batches(data: PairData, looks: dict[int, np.ndarray], batches: int, size: int, rng: np.random.Generator):
    """Yield (crop, owner, index into ``data.images``) for every image of ``batches`` training batches of ``size``
    images; in each, every other person's images get the batch's enrolled person's camera look (``looks``, see
    :func:`camera_looks`) with chance LOOK_SHARE."""
    for _ in range(batches):
        indices, group = sample_batch(data, data.train, size, rng)
        owners = data.owners[indices]
        images = data.images[indices]
        if group in looks:
            for owner in np.unique(owners[owners != group]):
                if rng.random() < LOOK_SHARE:
                    for k in np.flatnonzero(owners == owner):
                        images[k] = apply_filter(images[k], looks[group])
        yield from zip(images, owners, indices)
