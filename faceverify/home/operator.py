"""The operator's password: set on first use, kept in the settings as a salted scrypt hash, never in clear; the
operator can change or remove it (the window, unlocked; ``faceverify operator``)."""
from __future__ import annotations

import hashlib
import hmac
import os

from faceverify.errors import FaceverifyError
from faceverify.home.store import Store

MIN_LENGTH = 6
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # about 50 ms and 16 MB per check: slow to guess, quick to type
_KEY = "operator_password"


def has_password(store: Store) -> bool:
    return store.setting(_KEY) is not None


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=32)


def set_password(store: Store, password: str) -> None:
    """Save a new operator password (as a salted hash); raises FaceverifyError if it is too short."""
    if len(password) < MIN_LENGTH:
        raise FaceverifyError(f"The password needs at least {MIN_LENGTH} characters")
    salt = os.urandom(16)
    record = {"scrypt": _hash(password, salt, **_SCRYPT).hex(), "salt": salt.hex(), **_SCRYPT}
    store.save_settings(**{_KEY: record})


def clear_password(store: Store) -> bool:
    """Remove the operator's password (the window then starts open); whether there was one."""
    had = has_password(store)
    if had:
        store.save_settings(**{_KEY: None})
    return had


def check_password(store: Store, password: str) -> bool:
    """Whether ``password`` is the operator's (False when none is set or the saved record is damaged)."""
    record = store.setting(_KEY)  # a damaged record (settings.TABLE checks its form) counts as none
    try:
        expected = bytes.fromhex(record["scrypt"])
        actual = _hash(password, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"])
    except (TypeError, KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, actual)
