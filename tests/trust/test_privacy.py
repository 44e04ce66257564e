"""Privacy: everything faceverify creates in its home is owner-only (folders 0700, files 0600) whatever the umask,
and ``faceverify people remove NAME`` deletes every image, cached embedding and logged crop of that person.

Runs the real command line in-process on images made here (no real faces needed) with an untrained model saved
the way training saves one; a verification threshold of 1.0 makes every attempt fail (a share is never > 1.0),
so that with ``log_failed_crops`` each attempt logs its face crop.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faceverify.home.audit import AuditLog
from faceverify.home.store import Store
from helpers import encode, lfw_style_folder, make_tgz, modes, noise_bgr, run_cli, save_random_model, snapshot, write

SLICE = 32  # bytes of a crop searched for in the raw database (a crop spans several SQLite pages)


@pytest.fixture
def open_umask():
    """The most permissive umask: modes must come from faceverify, not from the user's umask."""
    old = os.umask(0)
    yield
    os.umask(old)


def _slices(data: bytes) -> list[bytes]:
    """Pieces of a PNG from all over it (its header is the same for every crop, so it is left out)."""
    return [data[i : i + SLICE] for i in range(100, len(data) - SLICE, 997)]


def _raw_database(store: Store) -> bytes:
    """The database's bytes as they lie on disk, write-ahead log included."""
    files = [store.audit_path, store.audit_path.with_name(store.audit_path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


@pytest.fixture
def home(tmp_path: Path, open_umask, capsys) -> Path:
    """Ada and Bob enrolled, LFW-style negatives imported from a tgz, an untrained model, failed crops logged;
    Ada verified twice (once typed as " Ada "), Bob once, all failing; the log read."""
    home = tmp_path / "home"
    for name, seeds in (("Ada", (1, 2, 3)), ("Bob", (4, 5, 6))):
        images = [write(tmp_path / "in" / f"{name}{s}.png", encode(noise_bgr(s))) for s in seeds]
        assert run_cli(capsys, "--home", home, "enroll", name, "--from", *images)[0] == 0
    archive = make_tgz(lfw_style_folder(tmp_path / "src"), tmp_path / "lfw.tgz")
    assert run_cli(capsys, "--home", home, "import-lfw", archive)[0] == 0
    store = Store(home)
    save_random_model(store.model_path)
    store.save_settings(log_failed_crops=True)
    for name, seed in (("Ada", 11), (" Ada ", 12), ("Bob", 13)):
        probe = write(tmp_path / "probes" / f"probe{seed}.png", encode(noise_bgr(seed)))
        status, _, err = run_cli(capsys, "--home", home, "verify", name, probe, "--verification-threshold", "1.0")
        assert status == 1, err
    for args in (["log"], ["log", "--json"], ["people"]):
        assert run_cli(capsys, "--home", home, *args)[0] == 0
    return home


def test_everything_in_the_home_is_owner_only(home):
    store = Store(home)
    with AuditLog(store.audit_path) as log:  # while a connection is open the -wal and -shm files exist
        log.recent()
        created = snapshot(home)
        for expected in ("settings.json", "audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm",
                         "model/siamese.keras", "people/Ada/anchor", "negatives/Noise_Person0"):
            assert expected in created, f"{expected} was not created: the walk would prove nothing about it"
        assert any(name.endswith(".npz") for name in created), "no cached embeddings"
        assert modes(home) == ({}, {}), "(folders not 0700, files not 0600)"
    assert not list(home.glob(".import-*"))


def test_people_remove_deletes_every_image_embedding_and_logged_crop(home, capsys):
    store = Store(home)
    with AuditLog(store.audit_path) as log:
        entries = log.recent()
    ada_crops = [e.crop for e in entries if e.person.strip() == "Ada"]
    bob_crops = [e.crop for e in entries if e.person == "Bob"]
    assert len(ada_crops) == 2 and len(bob_crops) == 1 and all(ada_crops + bob_crops), "failed crops not logged"
    raw = _raw_database(store)
    assert all(piece in raw for crop in ada_crops for piece in _slices(crop)[:3]), "the search finds no crop"

    status, out, err = run_cli(capsys, "--home", home, "people", "remove", "Ada")
    assert status == 0, err

    assert not (store.people_dir / "Ada").exists()
    left = [str(p.relative_to(home)) for p in home.rglob("*") if "ada" in p.name.lower()]
    assert left == [], "files of Ada left behind"
    assert [p.name for p in store.people()] == ["Bob"]
    npz = sorted(p.name for p in store.embeddings_dir.rglob("*.npz"))  # Bob's gallery (and his look cohort, if any)
    assert npz and {name.split("@")[0].removesuffix(".npz") for name in npz} == {"Bob"}, npz
    status, out, _ = run_cli(capsys, "--home", home, "log", "--json")
    logged = json.loads(out)
    assert status == 0 and [e["person"] for e in logged] == ["Bob"]
    status, out, _ = run_cli(capsys, "--home", home, "log")
    assert "Ada" not in out and "Bob" in out
    raw = _raw_database(store)
    found = [i for crop in ada_crops for i, piece in enumerate(_slices(crop)) if piece in raw]
    assert found == [], "Ada's logged crops are still in the database file's bytes"
    bob = _slices(bob_crops[0])
    assert sum(piece in raw for piece in bob) > len(bob) // 2, "Bob's crop should still be there"
    assert modes(home) == ({}, {})
