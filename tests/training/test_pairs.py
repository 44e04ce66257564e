"""Pairs and the split: deterministic, 70/30, leak-free, balanced, never 'negative' with oneself."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import make_small_store
from faceverify.errors import FaceverifyError
from faceverify.training.pairs import (
    ENROLLED_PER_BATCH,
    LFW_PER_BATCH,
    load_pair_data,
    make_pairs,
    sample_batch,
    split_keys,
)


def test_split_is_deterministic_disjoint_and_70_30():
    keys = [f"img{i}" for i in range(100)]
    train, validation = split_keys(keys, seed=1)
    assert (train, validation) == split_keys(list(reversed(keys)), seed=1)  # order of input does not matter
    assert len(train) == 70 and len(validation) == 30 and not set(train) & set(validation)
    assert split_keys(keys, seed=2) != (train, validation)


def test_tiny_groups_keep_one_image_on_each_side():
    assert tuple(map(len, split_keys(["a", "b"], 0))) == (1, 1)
    assert tuple(map(len, split_keys(["a", "b", "c"], 0))) == (2, 1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    store = make_small_store(tmp_path_factory.mktemp("home"), people=2, per_role=10, lfw_people=10)
    return load_pair_data(store, seed=0, lfw_identities=True)


def test_no_image_is_on_both_sides(data):
    def used(split):
        return {i for ident in split.identities for i in ident.anchors + ident.positives} | set(split.negatives)

    assert not used(data.train) & used(data.validation)
    train_lfw = {i.name for i in data.train.identities if not i.enrolled}
    validation_lfw = {i.name for i in data.validation.identities if not i.enrolled}
    assert train_lfw and validation_lfw and not train_lfw & validation_lfw  # LFW people split whole


def test_pairs_are_balanced_and_correctly_labelled(data):
    rows = make_pairs(data, data.train, np.random.default_rng(0))
    labels = rows[:, 2]
    assert labels.sum() * 2 == len(rows)
    same_owner = data.owners[rows[:, 0]] == data.owners[rows[:, 1]]
    np.testing.assert_array_equal(same_owner, labels == 1)
    assert not np.any(rows[:, 0] == rows[:, 1])
    # enrolled people: every anchor with every positive (7 train anchors x 7 train positives each)
    enrolled = [i for i in data.train.identities if i.enrolled]
    pairs = {tuple(r[:2]) for r in rows if r[2] == 1}
    for identity in enrolled:
        assert {(a, p) for a in identity.anchors for p in identity.positives} <= pairs


def test_more_negatives_per_positive(data):
    rows = make_pairs(data, data.validation, np.random.default_rng(0), negatives_per_positive=3)
    assert (rows[:, 2] == 0).sum() == 3 * (rows[:, 2] == 1).sum() > 0
    assert not np.any(data.owners[rows[rows[:, 2] == 0, 0]] == data.owners[rows[rows[:, 2] == 0, 1]])


def test_batches_hold_an_enrolled_person_further_identities_and_single_negatives(data):
    train_images = {i for ident in data.train.identities for i in ident.anchors + ident.positives}
    train_images |= set(data.train.negatives)
    enrolled_groups = {int(data.owners[i.anchors[0]]) for i in data.train.identities if i.enrolled}
    rng = np.random.default_rng(0)
    for _ in range(20):
        indices, group = sample_batch(data, data.train, 32, rng)
        assert len(indices) == 32 and len(set(indices)) == 32 and set(indices) <= train_images
        owners = data.owners[indices]
        assert group in enrolled_groups and (owners[:ENROLLED_PER_BATCH] == group).all()
        groups, counts = np.unique(owners[ENROLLED_PER_BATCH:16], return_counts=True)
        assert (counts == LFW_PER_BATCH).all() and group not in groups  # further identities, two images each


def test_pairs_are_reproducible_per_seed(data):
    a = make_pairs(data, data.train, np.random.default_rng([0, 3]))
    b = make_pairs(data, data.train, np.random.default_rng([0, 3]))
    c = make_pairs(data, data.train, np.random.default_rng([0, 4]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_nothing_to_train_on(tmp_path):
    with pytest.raises(FaceverifyError, match="Nothing to train on"):
        load_pair_data(make_small_store(tmp_path / "a", people=0))


def test_no_negatives(tmp_path):
    with pytest.raises(FaceverifyError, match="import LFW"):
        load_pair_data(make_small_store(tmp_path / "b", people=1, lfw_people=0))


def test_without_lfw_identities_lfw_people_are_only_negatives(tmp_path):
    data = load_pair_data(make_small_store(tmp_path / "c"), lfw_identities=False)
    assert all(i.enrolled for i in data.train.identities + data.validation.identities)
