"""The home folder: names, roles, de-duplication, removal, settings, permissions."""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from conftest import noise_image
from faceverify.enrollment.enroll import remove_person
from faceverify.errors import InvalidNameError, UnknownPersonError
from faceverify.files import atomic
from faceverify.home.store import Store, default_home, read_crop, validate_name
from faceverify.model.current import calibrated_thresholds, save_calibration
from faceverify.verification.thresholds import threshold


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", "", "   ", "x" * 300, "..", ".hidden", "a\nb"])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidNameError):
        validate_name(name)


@pytest.mark.parametrize("name", ["Ada Lovelace", "Carrie-Anne_Moss", "O'Brien", "José", "x" * 64])
def test_good_names_are_kept(name):
    assert validate_name(f" {name} ") == name


def test_images_by_role_deduplicated_and_counted(tmp_path):
    store = Store(tmp_path / "home")
    a = store.add_image("Ada", "anchor", noise_image(0, 100))
    assert store.add_image("Ada", "anchor", noise_image(0, 100)) == a  # the same crop is stored once
    store.add_image("Ada", "positive", noise_image(1, 100))
    store.add_image("Bob", "positive", noise_image(2, 100))
    assert [(p.name, p.anchors, p.positives) for p in store.people()] == [("Ada", 1, 1), ("Bob", 0, 1)]
    np.testing.assert_array_equal(read_crop(a), noise_image(0, 100))


def test_remove_person_deletes_images_and_cached_embeddings(tmp_path):
    store = Store(tmp_path / "home")
    store.add_image("Ada", "positive", noise_image(0, 100))
    store.add_image("Bob", "positive", noise_image(1, 100))
    cache = store.embeddings_dir / "v1"
    cache.mkdir(parents=True)
    (cache / "Ada.npz").write_bytes(b"x")
    (cache / "Bob.npz").write_bytes(b"x")
    remove_person(store, "Ada")
    assert [p.name for p in store.people()] == ["Bob"]
    assert sorted(p.name for p in cache.iterdir()) == ["Bob.npz"]
    with pytest.raises(UnknownPersonError, match="Bob"):
        remove_person(store, "Ada")


def test_remove_image_only_inside_the_people_folder(tmp_path):
    store = Store(tmp_path / "home")
    path = store.add_image("Ada", "anchor", noise_image(0, 100))
    outside = tmp_path / "keep.txt"
    outside.write_text("mine")
    with pytest.raises(ValueError):
        store.remove_image(outside)
    store.remove_image(path)
    assert store.images("Ada", "anchor") == [] and outside.exists()


def test_everything_is_owner_only(tmp_path):
    store = Store(tmp_path / "home")
    store.add_image("Ada", "anchor", noise_image(0, 100))
    store.add_negative("Bob_Smith", "Bob_Smith_0001.jpg", noise_image(1, 100))
    store.save_settings(detection_threshold=0.7)
    for folder, _dirs, files in os.walk(store.root):
        assert os.stat(folder).st_mode & 0o777 == 0o700, folder
        for name in files:
            assert os.stat(os.path.join(folder, name)).st_mode & 0o777 == 0o600, name


def test_settings_merge_and_survive_a_damaged_file(tmp_path):
    store = Store(tmp_path / "home")
    assert store.load_settings() == {}
    store.save_settings(detection_threshold=0.6)
    store.save_settings(camera="0")
    assert store.load_settings() == {"detection_threshold": 0.6, "camera": "0"}
    store.settings_path.write_text("{ half")
    assert store.load_settings() == {}


def test_negatives_grouped_by_identity(tmp_path):
    store = Store(tmp_path / "home")
    store.add_negative("Bob_Smith", "Bob_Smith_0001.jpg", noise_image(1, 100))
    store.add_negative("Bob_Smith", "Bob_Smith_0002.jpg", noise_image(2, 100))
    store.add_negative("Eve_Doe", "Eve_Doe_0001.jpg", noise_image(3, 100))
    assert {k: len(v) for k, v in store.negatives().items()} == {"Bob_Smith": 2, "Eve_Doe": 1}
    assert store.negative_count() == 3


def test_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FACEVERIFY_HOME", str(tmp_path / "elsewhere"))
    assert default_home() == tmp_path / "elsewhere"
    assert Store().root == tmp_path / "elsewhere"


def test_a_crop_being_written_is_not_listed(tmp_path):
    store = Store(tmp_path / "home")
    kept = store.add_image("Ada", "anchor", noise_image(0, 100))
    (kept.parent / f".{kept.stem}.x1y2.tmp.png").write_bytes(b"half a PNG")  # atomic write in progress
    assert store.images("Ada", "anchor") == [kept]


def test_calibrated_thresholds_belong_to_one_model_file(tmp_path):
    store = Store(tmp_path / "home").ensure()
    store.save_settings(detection_threshold=0.7, camera="0")
    atomic.write_bytes(store.model_path, b"model one")
    save_calibration(store, {"detection_threshold": 0.62, "verification_threshold": 0.5})
    assert threshold(store, "detection_threshold") == 0.62  # the choice made for the old model is dropped
    assert store.load_settings() == {"camera": "0"}
    store.save_settings(detection_threshold=0.8)
    assert threshold(store, "detection_threshold") == 0.8  # the user's choice wins over the calibration
    store.save_settings(detection_threshold=None)
    time.sleep(0.01)
    atomic.write_bytes(store.model_path, b"another model, not calibrated")
    assert calibrated_thresholds(store) == {} and threshold(store, "detection_threshold") == 0.5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG data folder is Linux's")
def test_the_default_home_is_the_platforms_data_folder_where_existing_homes_are(monkeypatch, tmp_path):
    monkeypatch.delenv("FACEVERIFY_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_home() == tmp_path / "data" / "faceverify"
