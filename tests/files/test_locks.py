"""The home's writer lock, on the cross-platform library (portalocker): refused at once naming the holder, shared
with any other portalocker user of the file, exclusive between threads, released by the kernel when its holder dies."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import portalocker
import pytest

from faceverify.files import locks
from helpers import hold_home_lock


def test_a_second_writer_is_refused_at_once_naming_the_holder_and_a_killed_holder_blocks_nothing(tmp_path):
    holder = hold_home_lock(tmp_path, "training")
    started = time.monotonic()
    with pytest.raises(locks.HomeBusyError, match=rf"another faceverify training \(pid {holder.pid}, since 20"):
        with locks.writing(tmp_path, "enrollment"):
            pytest.fail("entered a home another process is writing")
    assert time.monotonic() - started < 1.0, "refused at once, never waiting"
    holder.kill()
    holder.wait(timeout=30)
    with locks.writing(tmp_path, "enrollment"):
        assert b'"action": "enrollment"' in (tmp_path / locks.LOCK_NAME).read_bytes()
    assert (tmp_path / locks.LOCK_NAME).read_bytes() == b"", "an idle lock file holds no record"


def test_the_lock_is_portalockers_both_ways(tmp_path):
    with locks.writing(tmp_path, "removal"), open(tmp_path / locks.LOCK_NAME, "rb") as other:
        with pytest.raises(portalocker.exceptions.AlreadyLocked):
            portalocker.lock(other, portalocker.LOCK_EX | portalocker.LOCK_NB)
    code = (f"import portalocker, sys\nf = open({str(tmp_path / locks.LOCK_NAME)!r}, 'a')\n"
            "portalocker.lock(f, portalocker.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.read()\n")
    other = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline() == "held\n"
        with pytest.raises(locks.HomeBusyError, match="another faceverify process is changing"):
            with locks.writing(tmp_path, "training"):
                pass
    finally:
        other.stdin.close()
        other.wait(timeout=30)


def test_two_threads_of_one_process_exclude_each_other(tmp_path):
    held, release, refused = threading.Event(), threading.Event(), []

    def hold() -> None:
        with locks.writing(tmp_path, "capture"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        with locks.writing(tmp_path, "training"):
            pass
    except locks.HomeBusyError as error:
        refused.append(str(error))
    release.set()
    thread.join(10)
    assert refused and f"capture (pid {os.getpid()}" in refused[0]
