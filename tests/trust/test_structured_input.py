"""Hostile input, classes 2 and 4: structured input and names. Generated manifests, settings and names (Hypothesis)
can only give a clear FaceverifyError or a valid result, never another exception; the API's arguments are checked as
the CLI's are; links in the home's embedding cache are refused, never followed."""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import faceverify
from faceverify.enrollment.enroll import remove_person
from faceverify.enrollment.transfer import import_person
from faceverify.errors import FaceverifyError, InvalidNameError
from faceverify.faces.pipeline import encode_png
from faceverify.files import confine
from faceverify.home import settings as home_settings
from faceverify.home.store import NAME_MAX_BYTES, Store, validate_name
from helpers import noise_bgr

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)
CROP = encode_png(noise_bgr(3, 100))
CROP_SHA = hashlib.sha256(CROP).hexdigest()
IMAGE_ENTRY = st.fixed_dictionaries({"file": st.one_of(st.just(f"anchor/{CROP_SHA}.png"), JSON),
                                     "role": st.one_of(st.sampled_from(["anchor", "positive"]), JSON),
                                     "sha256": st.one_of(st.just(CROP_SHA), JSON)})
MANIFEST = st.fixed_dictionaries({
    "format": st.one_of(st.just("faceverify-person"), JSON), "version": st.one_of(st.just(1), JSON),
    "name": st.one_of(st.text(max_size=80), JSON), "images": st.one_of(st.lists(IMAGE_ENTRY, max_size=3), JSON)})


@QUICK
@given(manifest=st.one_of(MANIFEST, JSON))
def test_any_manifest_imports_a_real_person_or_is_one_clear_error(manifest, tmp_path_factory):
    folder = tmp_path_factory.mktemp("manifest")
    path = folder / "person.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(f"anchor/{CROP_SHA}.png", CROP)
    store = Store(folder / "home")
    try:
        done = import_person(store, path)
    except FaceverifyError as error:
        assert "\n" not in str(error) and len(str(error)) < 400
        assert store.people() == []
        return
    assert [p.name for p in store.people()] == [done.name] and done.anchors + done.positives == 1


def test_a_crop_listed_twice_and_a_manifest_without_images_are_refused(tmp_path):
    for images in ([], [{"file": f"anchor/{CROP_SHA}.png", "role": "anchor", "sha256": CROP_SHA},
                        {"file": f"positive/{CROP_SHA}.png", "role": "positive", "sha256": CROP_SHA}]):
        path = tmp_path / "p.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("manifest.json", json.dumps({"format": "faceverify-person", "version": 1, "name": "Ada",
                                                          "images": images}))
            for image in images:
                archive.writestr(image["file"], CROP)
        with pytest.raises(FaceverifyError):
            import_person(Store(tmp_path / "home"), path)
        assert Store(tmp_path / "home").people() == []


@QUICK
@given(saved=st.dictionaries(st.sampled_from([*home_settings.TABLE, "unknown"]), JSON, max_size=8))
def test_any_settings_file_reads_as_values_the_table_accepts(saved, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("settings")).ensure()
    store.settings_path.write_text(json.dumps(saved))
    for key, setting in home_settings.TABLE.items():
        value = store.setting(key)
        assert value == setting.default or setting.accepts(value), key


def test_writing_a_wrong_setting_is_refused_and_nothing_changes(tmp_path):
    store = Store(tmp_path / "home")
    for key, wrong in [("train_fine_tune", "false"), ("liveness_prompts", 99), ("detection_threshold", True),
                       ("liveness_seconds", float("nan"))]:
        with pytest.raises(home_settings.SettingError, match=key):
            store.save_settings(**{key: wrong})
    assert not store.root.exists()


@QUICK
@given(name=st.text(max_size=90))
def test_any_name_is_refused_or_becomes_a_short_nfc_name_its_other_forms_share(name):
    try:
        valid = validate_name(name)
    except InvalidNameError as error:
        assert "\n" not in str(error) and len(str(error)) < 300
        return
    assert unicodedata.is_normalized("NFC", valid) and len(f"{valid}.npz".encode()) <= NAME_MAX_BYTES + 4
    assert validate_name(unicodedata.normalize("NFD", name)) == valid


def test_two_unicode_forms_of_a_name_are_one_person(tmp_path):
    store = Store(tmp_path / "home")
    store.add_image("\u00c5sa", "positive", noise_bgr(1, 100))
    store.add_image("\u212bsa", "positive", noise_bgr(2, 100))
    assert [(p.name, p.positives) for p in store.people()] == [("\u00c5sa", 2)]


# -- the API's arguments, checked as the CLI's are ------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda fv: fv.enroll("Ada", "/abs/probe.jpg"), "must be a list"),
    (lambda fv: fv.enroll(None, []), "name is text"),
    (lambda fv: fv.verify_frames("Ada", []), "1 to 10000 items"),
    (lambda fv: fv.verify("Ada", np.zeros((0, 0, 3), np.uint8)), "too small"),
    (lambda fv: fv.verify("Ada", np.zeros((1, 1, 3), np.uint8)), "too small"),
    (lambda fv: fv.verify("Ada", np.zeros((64, 64, 3), np.uint8), detection_threshold=2.0), "between 0 and 1"),
    (lambda fv: fv.identify(None), "paths or RGB frames"),
    (lambda fv: fv.verify_camera("Ada", 0, frames=10**20), "frames must be"),
    (lambda fv: fv.verify_camera("Ada", 10**20), "No camera at index"),
    (lambda fv: fv.remove(None), "name is text"),
])
def test_api_arguments_are_checked_with_one_clear_error(call, message, tmp_path):
    Store(tmp_path / "home").add_image("Ada", "positive", noise_bgr(1, 100))
    with faceverify.open(tmp_path / "home") as fv, pytest.raises(FaceverifyError, match=message):
        call(fv)
    with faceverify.open(tmp_path / "home") as fv:
        assert fv.people() == ["Ada"]
    assert not (tmp_path / "home" / "audit.sqlite").exists()  # nothing was decided, so nothing was logged


# -- links in the embedding cache ------------------------------------------------------------------------------------
@pytest.fixture
def cached(tmp_path) -> tuple[Store, Path]:
    store = Store(tmp_path / "home")
    store.add_image("Ada", "positive", noise_bgr(1, 100))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Ada.npz").write_bytes(b"not faceverify's")
    return store, outside


def test_a_cache_version_folder_linked_out_of_the_home_is_refused_for_writing_and_reading(cached):
    store, outside = cached
    store.embeddings_dir.mkdir(parents=True)
    os.symlink(outside, store.embeddings_dir / "v1")
    with pytest.raises(confine.LinkInHomeError):
        confine.write_bytes(store.root, "model", "embeddings", "v1", "Bob.npz", data=b"embeddings")
    with pytest.raises(confine.LinkInHomeError):
        confine.read_bytes(store.root, "model", "embeddings", "v1", "Ada.npz", limit=100)
    assert sorted(p.name for p in outside.iterdir()) == ["Ada.npz"]


def test_a_linked_cache_folder_or_file_never_costs_a_file_outside_on_removal(cached):
    store, outside = cached
    store.embeddings_dir.mkdir(parents=True)
    os.symlink(outside, store.embeddings_dir / "v1")
    (store.embeddings_dir / "v2").mkdir()
    os.symlink(outside / "Ada.npz", store.embeddings_dir / "v2" / "Ada.npz")
    with pytest.raises(confine.LinkInHomeError):  # a linked cache file is never read
        confine.read_bytes(store.root, "model", "embeddings", "v2", "Ada.npz", limit=100)
    remove_person(store, "Ada")
    assert (outside / "Ada.npz").read_bytes() == b"not faceverify's"
    assert not (store.embeddings_dir / "v2" / "Ada.npz").is_symlink()  # the link itself went


def test_a_linked_runtime_export_is_never_read(cached):
    from faceverify.model.runtime import load_runtime

    store, outside = cached
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / "Ada.npz", store.model_path.parent / "shipped.tflite")
    with pytest.raises(confine.LinkInHomeError):  # the shipped model's cached export, linked out of the home
        load_runtime(store)
    assert (outside / "Ada.npz").read_bytes() == b"not faceverify's"


def test_a_linked_look_cohort_is_never_read_nor_written_through(cached):
    from faceverify.verification.cohort import LOOK_SUFFIX, cohort_embeddings, save_held_out

    store, outside = cached
    store.model_path.parent.mkdir(parents=True, exist_ok=True)
    store.model_path.write_bytes(b"a model of its own")  # the home's cohort, not the shipped one, is asked for
    store.add_negative("Zed", "Zed_0001.jpg", noise_bgr(2, 100))
    save_held_out(store, ["Zed"])
    (store.embeddings_dir / "v1").mkdir(parents=True)
    os.symlink(outside / "Ada.npz", store.embeddings_dir / "v1" / f"Ada{LOOK_SUFFIX}")
    with pytest.raises(confine.LinkInHomeError):
        cohort_embeddings(store, "v1", "Ada", lambda crops: np.zeros((len(crops), 4096), np.float32))
    assert (outside / "Ada.npz").read_bytes() == b"not faceverify's"


@pytest.mark.parametrize("damaged", [{"scrypt": "zz"}, "hash", 7, [], True])
def test_a_damaged_operator_record_keeps_the_window_locked(damaged, tmp_path):
    from faceverify.home import operator

    store = Store(tmp_path / "home").ensure()
    store.settings_path.write_text(json.dumps({"operator_password": damaged}))
    assert operator.has_password(store) and not operator.check_password(store, "anything")
