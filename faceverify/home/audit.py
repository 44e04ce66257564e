"""The audit log: each verification and identification attempt, in an SQLite database only its owner can read."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from faceverify.errors import UnknownPersonError
from faceverify.files.atomic import make_private_dir
from faceverify.files.inputs import shown

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('verify', 'identify')),
    person TEXT NOT NULL,
    verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
    share REAL NOT NULL,
    mean_score REAL NOT NULL,
    detection_threshold REAL NOT NULL,
    verification_threshold REAL NOT NULL,
    model_version TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('gui', 'cli')),
    image TEXT NOT NULL,
    crop BLOB,
    candidate TEXT,
    error TEXT,
    liveness TEXT NOT NULL DEFAULT 'not checked' CHECK (liveness IN ('not checked', 'passed', 'failed')),
    liveness_reason TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT 'custom',
    model_trained TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS attempts_person ON attempts (person);
"""
# Columns added since the first release, added to older logs when they are opened (their rows get the default).
_ADDED_COLUMNS = {  # columns a log written by an earlier version lacks
    "candidate": "TEXT",
    "error": "TEXT",
    "liveness": "TEXT NOT NULL DEFAULT 'not checked' CHECK (liveness IN ('not checked', 'passed', 'failed'))",
    "liveness_reason": "TEXT NOT NULL DEFAULT ''",
    "level": "TEXT NOT NULL DEFAULT 'custom'",
    "model_trained": "TEXT NOT NULL DEFAULT ''",
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class AuditEntry:
    """One attempt. `person` is the claimed person (verify) or the one identified, or 'unknown' (identify)."""

    kind: str  # 'verify' or 'identify'
    person: str
    verified: bool
    share: float
    mean_score: float
    detection_threshold: float
    verification_threshold: float
    model_version: str
    source: str  # 'gui' or 'cli'
    image: str  # the image's file name, or 'camera'
    crop: bytes | None = None  # the face crop as PNG bytes
    candidate: str | None = None  # identify, nobody identified: the closest person (their removal drops the crop)
    error: str | None = None  # why the attempt could not be decided (a damaged model), else None
    liveness: str = "not checked"  # camera attempts: 'passed' or 'failed' when the liveness check ran
    liveness_reason: str = ""  # why it passed or failed, in words for a person
    level: str = "custom"  # the security level that set the detection threshold ('custom': thresholds set by hand)
    model_trained: str = ""  # when the home's model deciding it was trained (UTC, ISO-8601); "" for the shipped one
    time: str = field(default_factory=_now)  # UTC, ISO-8601
    id: int | None = None  # set by the log


def _create_private(path: Path) -> None:
    """Create the database file with mode 0600 if it does not exist yet; never open an existing one.

    SQLite gives the -wal and -shm files the database file's mode, so this covers all three. Opening and closing
    an existing database file here would drop every POSIX lock this process holds on it, those of its other open
    connections included: another process closing its connection would then think it was the last one, delete the
    WAL and shared-memory files under them, and their next write fails with "disk I/O error".
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))


_COLUMNS = tuple(f.name for f in fields(AuditEntry) if f.name != "id")


class AuditLog:
    """The attempts table of a WAL-mode SQLite database (mode 0600); safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        make_private_dir(self.path.parent)  # owner-only, like every folder of the home
        _create_private(self.path)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA secure_delete=ON")  # deleted crops are overwritten, not just unlinked
        self._connection.executescript(_SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Brings a log written by an older faceverify up to this schema: adds the columns it lacks."""
        present = {row["name"] for row in self._connection.execute("PRAGMA table_info(attempts)")}
        with self._connection:
            for name, definition in _ADDED_COLUMNS.items():
                if name not in present:
                    self._connection.execute(f"ALTER TABLE attempts ADD COLUMN {name} {definition}")

    def record(self, entry: AuditEntry, enrolled: Callable[[str], bool] | None = None) -> int:
        """Adds the attempt; returns its id.

        ``enrolled`` (a person's name -> whether they are still enrolled) is asked inside the write transaction,
        for the attempt's person: a removal moves the person's folder away before it deletes their attempts in a
        transaction of its own, so an attempt is either logged before that deletion (and deleted by it) or, once
        the person is gone, refused here with UnknownPersonError. No attempt outlives its person's removal.
        """
        values = [getattr(entry, name) for name in _COLUMNS]
        placeholders = ", ".join("?" * len(_COLUMNS))
        with self._lock, self._connection:
            self._connection.execute("BEGIN IMMEDIATE")
            if enrolled is not None and entry.person != "unknown" and not enrolled(entry.person):
                raise UnknownPersonError(f"{shown(entry.person)} was removed while the decision was made: "
                                         "nothing was logged")
            cursor = self._connection.execute(
                f"INSERT INTO attempts ({', '.join(_COLUMNS)}) VALUES ({placeholders})", values
            )
        return cursor.lastrowid

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest `limit` attempts, newest first."""
        with self._lock:
            rows = self._connection.execute("SELECT * FROM attempts ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        known = {*_COLUMNS, "id"}  # a column a newer faceverify added is left out, not an error
        return [AuditEntry(**{key: bool(row[key]) if key == "verified" else row[key] for key in row.keys()
                              if key in known}) for row in rows]

    def remove_person(self, name: str) -> int:
        """Deletes every attempt logged for that person, crops included; returns how many.

        An identification of nobody whose closest candidate was that person stays an attempt (of someone
        else), but loses its crop and the candidate's name. Names are compared without surrounding white
        space, as the store does: " Ada " is Ada.
        """
        name = name.strip()
        with self._lock:
            with self._connection:
                spellings = [row[0] for row in self._connection.execute(
                    "SELECT person FROM attempts UNION SELECT candidate FROM attempts WHERE candidate IS NOT NULL")
                    if row[0].strip() == name]
                count = sum(self._connection.execute("DELETE FROM attempts WHERE person = ?", (spelling,)).rowcount
                            for spelling in spellings)
                for spelling in spellings:
                    self._connection.execute("UPDATE attempts SET crop = NULL, candidate = NULL WHERE candidate = ?",
                                             (spelling,))
            # Move the change into the database file and empty the WAL, which still holds the old pages.
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def to_json_dict(entry: AuditEntry) -> dict:
    """The entry as JSON-ready values, for `faceverify log --json`: `has_crop` in place of the crop's bytes."""
    data = {f.name: getattr(entry, f.name) for f in fields(entry) if f.name != "crop"}
    data["has_crop"] = entry.crop is not None
    return data


def to_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV with a header row (crops left out: ``has_crop`` says whether one was kept)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(AuditEntry) if f.name != "crop"] + ["has_crop"])
    writer.writeheader()
    writer.writerows(to_json_dict(entry) for entry in entries)
    return out.getvalue()
