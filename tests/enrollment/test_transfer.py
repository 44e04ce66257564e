"""Export and import of a person's enrollment: a round trip between homes, and archives that must be refused."""
import hashlib
import json
import stat
import zipfile

import cv2
import numpy as np
import pytest

from faceverify.enrollment.transfer import TransferError, export_person, import_person
from faceverify.home.store import Store
from helpers import assert_one_line_error, hold_home_lock, run_cli, snapshot


def _crop(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (100, 100, 3), np.uint8)


def _png(pixels: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))[1].tobytes()


@pytest.fixture
def ada(tmp_path) -> Store:
    store = Store(tmp_path / "a")
    for seed in range(3):
        store.add_image("Ada", "anchor", _crop(seed))
    for seed in range(3, 5):
        store.add_image("Ada", "positive", _crop(seed))
    return store


def test_round_trip_between_homes_keeps_every_crop_and_role(ada, tmp_path):
    archive = tmp_path / "ada.zip"
    exported = export_person(ada, "Ada", archive)
    assert (exported.anchors, exported.positives) == (3, 2)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    other = Store(tmp_path / "b")
    imported = import_person(other, archive)
    assert (imported.name, imported.anchors, imported.positives, imported.already_there) == ("Ada", 3, 2, 0)
    for role in ("anchor", "positive"):
        assert [p.read_bytes() for p in other.images("Ada", role)] == [p.read_bytes() for p in ada.images("Ada", role)]
    again = import_person(other, archive)
    assert (again.anchors, again.positives, again.already_there) == (0, 0, 5), "importing twice adds nothing"
    assert len(other.images("Ada", "anchor")) == 3


def test_the_cli_exports_and_imports(ada, tmp_path, capsys):
    archive = tmp_path / "ada.zip"
    status, out, _ = run_cli(capsys, "--home", ada.root, "people", "export", "Ada", archive)
    assert status == 0 and "3 anchors, 2 positives" in out
    status, out, _ = run_cli(capsys, "--home", tmp_path / "b", "people", "import", archive)
    assert status == 0 and "imported Ada" in out
    assert Store(tmp_path / "b").people()[0].anchors == 3


def _archive(path, members: dict[str, bytes], images: list[dict] | None = None, name: str = "Ada", **manifest):
    """An archive as an attacker might write it: ``images`` defaults to listing every member honestly."""
    if images is None:
        images = [{"file": m, "role": m.split("/")[0], "sha256": hashlib.sha256(d).hexdigest()}
                  for m, d in members.items()]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "faceverify-person", "version": 1, "name": name,
                                                      "images": images, **manifest}))
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def _honest_name(data: bytes, role: str = "anchor") -> str:
    return f"{role}/{hashlib.sha256(data).hexdigest()}.png"


GOOD = _png(_crop(9))
BAD_ARCHIVES = {
    "dot-dot": ({"../../evil.png": GOOD}, "images[0].role: '..' is not one of"),
    "absolute": ({"/tmp/evil.png": GOOD}, "images[0].role: '' is not one of"),
    "nested": ({"anchor/sub/" + _honest_name(GOOD).split("/")[1]: GOOD}, "not a crop's name"),
    "wrong size": ({_honest_name(_png(_crop(1)[:50])): _png(_crop(1)[:50])}, "not a 100x100 face crop"),
    "not an image": ({_honest_name(b"#!/bin/sh"): b"#!/bin/sh"}, "not a 100x100 face crop"),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_archives_with_path_tricks_or_bad_crops_are_refused_and_nothing_is_stored(tmp_path, capsys, case):
    members, reason = BAD_ARCHIVES[case]
    archive = _archive(tmp_path / "bad.zip", members)
    home = tmp_path / "home"
    Store(home).ensure()
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "people", "import", archive)
    assert_one_line_error(status, err, reason)
    assert snapshot(home) == before
    assert not (tmp_path / "evil.png").exists()


def test_unlisted_members_bad_checksums_bad_names_and_non_archives_are_refused(tmp_path):
    store = Store(tmp_path / "home")
    listed = _honest_name(GOOD)
    cases = {
        "unlisted": (_archive(tmp_path / "1.zip", {listed: GOOD, _honest_name(_png(_crop(2))): _png(_crop(2))},
                              images=[{"file": listed, "role": "anchor", "sha256": listed[7:-4]}]), "does not list"),
        "checksum": (_archive(tmp_path / "2.zip", {listed: GOOD},
                              images=[{"file": listed, "role": "anchor", "sha256": "0" * 64}]), "not a crop's name"),
        "name": (_archive(tmp_path / "3.zip", {listed: GOOD}, name="../root"), "Invalid name"),
        "format": (_archive(tmp_path / "4.zip", {listed: GOOD}, format="other"), "'faceverify-person' was expected"),
    }
    (tmp_path / "5.zip").write_bytes(b"not a zip at all")
    cases["not a zip"] = (tmp_path / "5.zip", "not a readable enrollment archive")
    for case, (archive, reason) in cases.items():
        with pytest.raises(Exception) as raised:
            import_person(store, archive)
        assert reason in str(raised.value), case
    assert store.people() == []


def test_a_damaged_crop_fails_its_checksum(tmp_path):
    listed = _honest_name(GOOD)
    archive = _archive(tmp_path / "x.zip", {listed: _png(_crop(8))},
                       images=[{"file": listed, "role": "anchor", "sha256": hashlib.sha256(GOOD).hexdigest()}])
    with pytest.raises(TransferError, match="checksum"):
        import_person(Store(tmp_path / "home"), archive)


def test_an_import_waits_its_turn_behind_another_writer(ada, tmp_path, capsys):
    archive = tmp_path / "ada.zip"
    export_person(ada, "Ada", archive)
    home = tmp_path / "b"
    Store(home).ensure()
    holder = hold_home_lock(home, "training")
    try:
        status, _, err = run_cli(capsys, "--home", home, "people", "import", archive)
        assert_one_line_error(status, err, f"another faceverify training (pid {holder.pid}")
        assert Store(home).people() == []
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert run_cli(capsys, "--home", home, "people", "import", archive)[0] == 0
