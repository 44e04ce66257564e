"""The audit log on a real SQLite file: WAL, owner-only files, order, crops, removal, threads, reopening."""

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading

import cv2
import numpy as np
import pytest

from faceverify.home.audit import AuditEntry, AuditLog, to_csv, to_json_dict


def _entry(person: str = "Ada", **changes) -> AuditEntry:
    values = dict(
        kind="verify",
        person=person,
        verified=True,
        share=0.8,
        mean_score=0.7,
        detection_threshold=0.5,
        verification_threshold=0.6,
        model_version="2024-05-01T12:00:00Z",
        source="cli",
        image="ada.jpg",
    )
    return AuditEntry(**{**values, **changes})


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    return cv2.imencode(".png", pixels)[1].tobytes()


@pytest.fixture
def log(tmp_path):
    with AuditLog(tmp_path / "data" / "audit.sqlite") as audit:
        yield audit


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_wal_mode_and_owner_only_files(log):
    log.record(_entry())
    with sqlite3.connect(log.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for suffix in ("", "-wal", "-shm"):
        assert _mode(f"{log.path}{suffix}") == 0o600, suffix


def test_recent_is_newest_first_and_limited(log):
    ids = [log.record(_entry(f"person{i}")) for i in range(5)]
    latest = log.recent(limit=3)
    assert [entry.person for entry in latest] == ["person4", "person3", "person2"]
    assert [entry.id for entry in latest] == ids[:1:-1]
    assert len(log.recent()) == 5


def test_fields_and_crop_round_trip(log):
    crop = _png(1)
    entry = _entry(kind="identify", person="unknown", verified=False, source="gui", image="camera", crop=crop)
    log.record(entry)
    stored = log.recent()[0]
    assert stored.crop == crop
    assert cv2.imdecode(np.frombuffer(stored.crop, np.uint8), cv2.IMREAD_COLOR).shape == (40, 40, 3)
    assert stored.verified is False
    assert {**vars(stored), "id": None} == vars(entry)
    assert stored.time.endswith("+00:00")


def test_json_dict_reports_the_crop_without_its_bytes(log):
    log.record(_entry(crop=_png(2)))
    log.record(_entry())
    without, with_crop = (to_json_dict(entry) for entry in log.recent())
    assert with_crop["has_crop"] is True and without["has_crop"] is False
    assert "crop" not in with_crop and with_crop["person"] == "Ada" and with_crop["verified"] is True
    json.dumps([with_crop, without])


def test_remove_person_removes_only_them_and_their_crops(log):
    marker = b"ADA-FACE-CROP-" + bytes(range(256)) * 8
    for _ in range(3):
        log.record(_entry("Ada", crop=marker))
    log.record(_entry("Grace", crop=_png(3)))
    assert log.remove_person("Ada") == 3
    assert [entry.person for entry in log.recent()] == ["Grace"]
    assert log.remove_person("Ada") == 0
    for suffix in ("", "-wal"):
        path = f"{log.path}{suffix}"
        assert not os.path.exists(path) or marker[:64] not in open(path, "rb").read(), suffix


def test_concurrent_records_all_land(log):
    def write(thread: int) -> None:
        for i in range(50):
            log.record(_entry(f"t{thread}", share=float(i)))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = log.recent(limit=1000)
    assert len(entries) == 200
    assert len({entry.id for entry in entries}) == 200
    for t in range(4):
        assert sorted(e.share for e in entries if e.person == f"t{t}") == [float(i) for i in range(50)]


def test_reopening_keeps_the_rows(tmp_path):
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as first:
        first.record(_entry(crop=_png(4)))
        first.record(_entry("Grace"))
    with AuditLog(path) as second:
        entries = second.recent()
        assert [entry.person for entry in entries] == ["Grace", "Ada"]
        assert entries[1].crop == _png(4)
        assert second.record(_entry("Linus")) == 3
    assert _mode(path) == 0o600


def test_a_second_log_in_this_process_and_another_process_leave_the_first_working(tmp_path):
    """Opening the file again here must not drop this process's locks: another process closing its connection
    would then take itself for the last one and delete the WAL under the first log ("disk I/O error")."""
    path = tmp_path / "audit.sqlite"
    first = AuditLog(path)
    first.record(_entry())
    with AuditLog(path) as second:
        second.record(_entry("Grace"))
    other = subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                            "print(c.execute('SELECT COUNT(*) FROM attempts').fetchone()[0]); c.close()", str(path)],
                           capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "2"
    with AuditLog(path) as third:
        third.record(_entry("Ada"))
    first.record(_entry("Grace"))
    assert [e.person for e in first.recent()] == ["Grace", "Ada", "Grace", "Ada"]
    first.close()


def test_csv_holds_every_field_but_the_crop(tmp_path):
    entries = [_entry("Ada, Countess", crop=b"png"), _entry("Grace", verified=False)]
    rows = list(csv.DictReader(io.StringIO(to_csv(entries))))
    assert [(r["person"], r["verified"], r["has_crop"]) for r in rows] == [("Ada, Countess", "True", "True"),
                                                                         ("Grace", "False", "False")]
    assert "crop" not in rows[0]


_FIRST_RELEASE_SCHEMA = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('verify', 'identify')), person TEXT NOT NULL,
    verified INTEGER NOT NULL CHECK (verified IN (0, 1)), share REAL NOT NULL, mean_score REAL NOT NULL,
    detection_threshold REAL NOT NULL, verification_threshold REAL NOT NULL, model_version TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('gui', 'cli')), image TEXT NOT NULL, crop BLOB
);
INSERT INTO attempts (time, kind, person, verified, share, mean_score, detection_threshold, verification_threshold,
                      model_version, source, image)
VALUES ('2026-01-01T00:00:00.000+00:00', 'verify', 'Ada', 1, 0.9, 0.8, 0.5, 0.5, 'v1', 'cli', 'ada.jpg');
"""


def test_a_log_from_before_liveness_gains_its_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "audit.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(_FIRST_RELEASE_SCHEMA)
    with AuditLog(path) as log:
        log.record(_entry("Grace", image="camera 0", liveness="failed",
                          liveness_reason="You did not turn your head to your left in time"))
        grace, ada = log.recent()
    assert (ada.person, ada.liveness, ada.liveness_reason) == ("Ada", "not checked", "")
    assert (grace.liveness, grace.liveness_reason) == ("failed", "You did not turn your head to your left in time")
    assert to_json_dict(grace)["liveness"] == "failed"
    with AuditLog(path) as again:  # opening a migrated log changes nothing
        assert [e.person for e in again.recent()] == ["Grace", "Ada"]
        with pytest.raises(sqlite3.IntegrityError):
            again.record(_entry(liveness="maybe"))


def test_a_log_with_a_column_of_a_newer_faceverify_is_still_read(tmp_path):
    with AuditLog(tmp_path / "audit.sqlite") as log:
        log.record(AuditEntry("verify", "Ada", True, 0.9, 0.8, 0.5, 0.5, "v1", "cli", "probe.jpg"))
        log._connection.execute("ALTER TABLE attempts ADD COLUMN added_later TEXT DEFAULT 'x'")
        assert [(e.person, e.verified) for e in log.recent()] == [("Ada", True)]
