"""The home folder under hostile conditions (issue 13), on real files and real processes: links that lead out of
the home, special files given as images, a full disk in the middle of an enrollment, and two writers at once.

Each case asserts the one-line message, the exit status, and that the home (and what lies outside it) is
unchanged where it must be.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from faceverify.faces.pipeline import encode_png, prepare_file
from faceverify.files.locks import LOCK_NAME
from faceverify.home.audit import AuditEntry, AuditLog
from faceverify.home.store import Store
from helpers import (
    assert_one_line_error,
    hold_home_lock,
    lfw_images,
    lfw_style_folder,
    run_cli,
    script_command,
    snapshot,
)

PERSON = "Colin_Powell"


@pytest.fixture
def home(tmp_path, capsys) -> Path:
    """A home with Ada enrolled from 4 real faces (2 anchors, 2 positives) and one logged attempt about her."""
    home = tmp_path / "home"
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", *lfw_images(PERSON, 4))
    assert status == 0, err
    with AuditLog(Store(home).audit_path) as log:
        log.record(AuditEntry("verify", "Ada", False, 0.0, 0.1, 0.5, 0.5, "v", "cli", "probe.jpg", b"crop"))
    return home


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the home that a link points to, with a file of its own."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "keep.txt").write_text("not faceverify's")
    return folder


def _attempts(home: Path) -> int:
    with AuditLog(Store(home).audit_path) as log:
        return len(log.recent(100))


# -- confinement ----------------------------------------------------------------------------------------------
LINKS = ["people/Mallory", "people/Ada/positive", "people/Ada/anchor/x.png", "people", LOCK_NAME]


@pytest.mark.parametrize("link", LINKS)
def test_a_link_inside_the_home_is_refused_by_enroll_and_remove_and_nothing_changes(link, home, outside, capsys):
    target = outside / "x.png" if link.endswith(".png") else outside
    if link.endswith(".png"):
        target.write_bytes(encode_png(prepare_file(lfw_images(PERSON, 5)[4]).pixels))
    if (home / link).exists():  # a folder moved out of the home, a link left in its place
        target = outside / Path(link).name
        os.rename(home / link, target)
    os.symlink(target, home / link)
    who = "Mallory" if link == "people/Mallory" else "Ada"
    before, outside_before, attempts = snapshot(home), snapshot(outside), _attempts(home)

    for command in (["enroll", who, "--from", lfw_images(PERSON, 6)[5]], ["people", "remove", who]):
        status, _, err = run_cli(capsys, "--home", home, *command)
        assert_one_line_error(status, err, "symbolic link", "remove the link")
        assert snapshot(home) == before and snapshot(outside) == outside_before
        assert _attempts(home) == attempts, "the audit log was changed by a refused removal"


def test_an_lfw_import_into_a_negatives_folder_that_links_out_is_refused(home, outside, tmp_path, capsys):
    (home / "negatives").mkdir()
    os.symlink(outside, home / "negatives" / "Noise_Person1")
    before, outside_before = snapshot(home), snapshot(outside)
    status, _, err = run_cli(capsys, "--home", home, "import-lfw", lfw_style_folder(tmp_path / "src") / "lfw")
    assert_one_line_error(status, err, "Noise_Person1 is a symbolic link")
    assert snapshot(home) == before and snapshot(outside) == outside_before


def test_a_model_folder_that_links_out_is_refused_before_anything_is_read(home, outside, capsys):
    os.symlink(outside, home / "model")
    before = snapshot(outside)
    status, _, err = run_cli(capsys, "--home", home, "verify", "Ada", lfw_images(PERSON, 5)[4])
    assert_one_line_error(status, err, "model is a symbolic link")
    assert snapshot(outside) == before


def test_the_home_itself_may_be_a_link(tmp_path, home, capsys):
    elsewhere = tmp_path / "elsewhere"
    os.symlink(home, elsewhere)
    status, out, _ = run_cli(capsys, "--home", elsewhere, "people")
    assert status == 0 and out.splitlines()[0].startswith("Ada\t2 anchors\t2 positives\tStandard: threshold ")


# -- special files ------------------------------------------------------------------------------------------
def test_a_fifo_given_as_an_image_is_refused_at_once_by_the_real_script(home, tmp_path):
    fifo = tmp_path / "face.jpg"
    os.mkfifo(fifo)
    before = snapshot(home)
    done = subprocess.run([*script_command(), "--home", str(home), "verify", "Ada", str(fifo)], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)  # it used to hang here
    assert_one_line_error(done.returncode, done.stderr, "face.jpg is not a regular file")
    assert snapshot(home) == before


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_special_files_are_not_enrolled(special, home, tmp_path, capsys):
    if special == "fifo":
        os.mkfifo(special := tmp_path / "pipe.png")
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", special)
    assert_one_line_error(status, err, "not a regular file")
    assert snapshot(home) == before


def test_an_image_file_over_the_size_limit_is_refused_unread(home, tmp_path, capsys):
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as handle:  # sparse: 65 MB that take no disk space
        handle.truncate(65 * 2**20)
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", huge)
    assert_one_line_error(status, err, "huge.jpg is too large for an image", "at most 64 MB")
    assert snapshot(home) == before


# -- all or nothing -----------------------------------------------------------------------------------------
def _enroll_on_a_full_disk(home: Path, name: str, images: list[Path]) -> subprocess.CompletedProcess:
    """``faceverify enroll`` as a real process whose files may grow only to the size of the smallest new crop:
    the first crop is written, a later one finds the disk full (EFBIG, as ENOSPC would be)."""
    sizes = {path: len(encode_png(prepare_file(path).pixels)) for path in images}
    images = sorted(images, key=sizes.get)
    assert sizes[images[0]] < sizes[images[-1]]
    limit = sizes[images[0]]

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([*script_command(), "--home", str(home), "enroll", name, "--from", *map(str, images)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          preexec_fn=full_disk)


@pytest.mark.parametrize("name", ["Bob", "Ada"])
def test_an_enrollment_that_fills_the_disk_adds_nothing(name, home):
    before = snapshot(home)
    done = _enroll_on_a_full_disk(home, name, lfw_images("Tony_Blair", 6))
    assert_one_line_error(done.returncode, done.stderr, f"Enrolling {name} failed and added nothing",
                          "File too large")
    assert snapshot(home) == before, "a failed enrollment left some of its images"
    assert [(p.name, p.anchors, p.positives) for p in Store(home).people()] == [("Ada", 2, 2)]
    assert not [p for p in home.iterdir() if p.name.startswith(".enroll-")]


# -- one writer at a time --------------------------------------------------------------------------------------
def test_a_second_removal_is_refused_naming_the_first_and_a_killed_holder_blocks_nothing(home, capsys):
    holder = hold_home_lock(home, "removal")
    before = snapshot(home)
    status, _, err = run_cli(capsys, "--home", home, "people", "remove", "Ada")
    line = assert_one_line_error(status, err, f"another faceverify removal (pid {holder.pid}, since ", "try again")
    assert time.strftime("%Y-%m-%d", time.gmtime()) in line
    assert snapshot(home) == before and _attempts(home) == 1
    holder.kill()  # SIGKILL: the kernel releases the lock with the process
    assert holder.wait(timeout=30) == -9
    status, out, err = run_cli(capsys, "--home", home, "people", "remove", "Ada")
    assert status == 0, err
    assert Store(home).people() == [] and _attempts(home) == 0


def test_the_gui_training_path_is_refused_while_another_process_writes(home):
    from faceverify.files.locks import HomeBusyError
    from faceverify.training.trainer import Trainer, TrainingConfig

    holder = hold_home_lock(home, "LFW import")
    try:
        with pytest.raises(HomeBusyError, match=f"LFW import \\(pid {holder.pid}"):
            Trainer(Store(home), TrainingConfig(epochs=1)).run()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.slow
def test_a_second_training_and_every_other_writer_are_refused_while_one_trains(home, tmp_path, capsys):
    store = Store(home)
    for name in ("Tony_Blair", "Laura_Bush", "Ariel_Sharon"):  # a few real negatives, so that the training runs
        (tmp_path / "lfw" / name).mkdir(parents=True)
        for path in lfw_images(name, 2):
            shutil.copy(path, tmp_path / "lfw" / name / path.name)
    status, _, err = run_cli(capsys, "--home", home, "import-lfw", tmp_path / "lfw")
    assert status == 0, err
    log = open(tmp_path / "first.err", "w")
    first = subprocess.Popen([*script_command(), "--home", str(home), "train", "--epochs", "500",
                              "--steps-per-epoch", "1", "--batch-size", "8"], stdout=subprocess.DEVNULL, stderr=log,
                             stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not (home / LOCK_NAME).exists() or b"training" not in (home / LOCK_NAME).read_bytes():
            assert first.poll() is None, (tmp_path / "first.err").read_text()
            assert time.monotonic() < deadline, "the first training never took the lock"
            time.sleep(0.05)
        assert json.loads((home / LOCK_NAME).read_text())["pid"] == first.pid
        people_before = snapshot(store.people_dir)
        second = subprocess.run([*script_command(), "--home", str(home), "train", "--epochs", "1"],
                                capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert_one_line_error(second.returncode, second.stderr, f"another faceverify training (pid {first.pid}, since")
        for command in (["enroll", "Ada", "--from", lfw_images(PERSON, 6)[5]], ["people", "remove", "Ada"],
                        ["import-lfw", tmp_path / "lfw"]):
            status, _, err = run_cli(capsys, "--home", home, *command)
            assert_one_line_error(status, err, f"training (pid {first.pid}")
        assert snapshot(store.people_dir) == people_before
        assert first.poll() is None, "the first training was meant to be still running"
    finally:
        first.kill()
        first.wait(timeout=60)
        log.close()
    status, out, err = run_cli(capsys, "--home", home, "enroll", "Ada", "--from", lfw_images(PERSON, 6)[5])
    assert status == 0, f"the killed training's lock still blocks: {err}"
