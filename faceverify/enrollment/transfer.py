"""Move one person's enrollment between homes: a zip archive of their face crops plus a manifest.

The archive holds ``manifest.json`` ({"format", "version", "name", "images": [{"file", "role", "sha256"}]}) and
one PNG per crop at ``<role>/<sha256>.png``. Importing trusts nothing in it: the manifest must be well formed, every
member must be listed and named exactly ``<role>/<64 hex>.png`` (no folders, no "..", no absolute paths, no links),
its central directory and members are capped at what 5,000 crops may need (members read as streams, whatever their
headers claim), each crop must match its checksum and decode to a 100x100 colour image, and the crops are stored
through the store like any capture, so that no path from the archive reaches the disk.
"""
from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceverify.errors import FaceverifyError
from faceverify.files import atomic, inputs, locks
from faceverify.home import journal
from faceverify.home.store import ROLES, Store, validate_name

FORMAT = "faceverify-person"
VERSION = 1
MAX_IMAGES = 5000
MAX_IMAGE_BYTES = 1 << 20  # a 100x100 PNG is ~30 KB
MAX_MANIFEST_BYTES = 1 << 20
MAX_DIRECTORY_BYTES = (MAX_IMAGES + 1) * 256  # an entry for "positive/<64 hex>.png" takes 126 bytes
_EOCD_SEARCH = 22 + 0xFFFF  # the end-of-directory record and the longest comment it may carry
_PNG = b"\x89PNG\r\n\x1a\n"  # crops are PNGs; a 1 MB member of another format could declare gigapixels
_MEMBER = re.compile(rf"^({'|'.join(ROLES)})/([0-9a-f]{{64}})\.png$")


class TransferError(FaceverifyError):
    """An archive that is not a valid enrollment export."""


@dataclass(frozen=True)
class Transferred:
    """What an import or export moved: the person, the crops it wrote by role, and (import) those it found already
    enrolled, which it left as they were."""

    name: str
    anchors: int
    positives: int
    already_there: int = 0


def export_person(store: Store, name: str, path: Path) -> Transferred:
    """Write ``name``'s crops and a manifest to the zip archive ``path`` (atomically, mode 0600)."""
    name = validate_name(name)
    store.require_person(name)
    images, members = [], {}
    for role in ROLES:
        for crop in store.images(name, role):
            data = crop.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            member = f"{role}/{digest}.png"
            if member not in members:
                members[member] = data
                images.append({"file": member, "role": role, "sha256": digest})
    manifest = {"format": FORMAT, "version": VERSION, "name": name, "images": images}
    with atomic.atomic_path(Path(path)) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        for member, data in members.items():
            archive.writestr(member, data)
    return Transferred(name, *(sum(i["role"] == role for i in images) for role in ROLES))


def import_person(store: Store, path: Path) -> Transferred:
    """Add the person in the archive ``path`` to ``store`` (into an enrolled person of that name, if any).

    Raises TransferError, naming the first problem, before anything is stored; all or nothing, even killed (the
    crops are staged and committed as an enrollment's are, see :mod:`journal`).
    """
    with inputs.open_regular(Path(path), "person archive", TransferError) as handle:
        try:
            _check_directory(handle)
            with zipfile.ZipFile(handle) as archive:
                name, crops = _read(archive)
        except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
                zipfile.LargeZipFile) as error:  # RuntimeError: an encrypted member
            raise TransferError(f"{inputs.shown(Path(path).name)} is not a readable enrollment archive: "
                                f"{inputs.shown(error)}") from None
    with locks.writing(store.ensure().root, "person import"), journal.change(store, journal.ENROLL) as staging:
        new = [(role, pixels) for role, pixels in crops if store.find_image(name, pixels) is None]
        staged = Store(staging)
        for role, pixels in new:
            staged.add_image(name, role, pixels)
        journal.commit(staging, store)
    return Transferred(name, *(sum(r == role for r, _ in new) for role in ROLES),
                       already_there=len(crops) - len(new))


def _check_directory(handle) -> None:
    """TransferError when the archive's central directory is larger than 5,000 crops need: zipfile would hold an
    object for each of its entries (millions, in a crafted archive) before anything could count them."""
    size = handle.seek(0, 2)
    handle.seek(max(0, size - _EOCD_SEARCH))
    tail = handle.read()
    handle.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        raise zipfile.BadZipFile("no end of central directory")
    directory = int.from_bytes(tail[end + 12 : end + 16], "little")
    if directory > MAX_DIRECTORY_BYTES:
        raise TransferError(f"The archive's directory is too large ({directory:,} bytes; at most "
                            f"{MAX_DIRECTORY_BYTES:,} for {MAX_IMAGES} crops)")


def _read(archive: zipfile.ZipFile) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The person's name and (role, crop) pairs, every check passed. Members are read as streams capped at what
    they may hold, whatever their headers claim."""
    infos = archive.infolist()
    if len(infos) > MAX_IMAGES + 1:
        raise TransferError(f"The archive holds {len(infos)} files: at most {MAX_IMAGES} crops are imported")
    manifest = _manifest(archive)
    name = validate_name(manifest["name"])
    listed = {image["file"]: image for image in manifest["images"]}
    if len({image["sha256"] for image in manifest["images"]}) != len(manifest["images"]):
        raise TransferError("The archive's manifest lists the same crop twice")
    members = {info.filename: info for info in infos}
    unexpected = sorted(set(members) - set(listed) - {"manifest.json"})
    if unexpected:
        raise TransferError(f"The archive holds a file its manifest does not list: {inputs.shown(unexpected[0])!r}")
    crops = []
    for member, image in listed.items():
        match = _MEMBER.fullmatch(member)
        if not match or match.group(1) != image["role"] or match.group(2) != image["sha256"]:
            raise TransferError(f"Refused: {inputs.shown(member)!r} is not a crop's name (expected ROLE/SHA256.png)")
        info = members.get(member)
        if info is None:
            raise TransferError(f"The manifest lists {member!r}, which the archive does not hold")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise TransferError(f"Refused: {member!r} is a link")
        data = _member(archive, info, MAX_IMAGE_BYTES)
        if hashlib.sha256(data).hexdigest() != image["sha256"]:
            raise TransferError(f"{member!r} does not match its checksum: the archive is damaged")
        crops.append((image["role"], _decode(member, data)))
    return name, crops


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, read as a stream and stopped past ``limit`` (a header claiming 1 KB may inflate to 1 GB)."""
    with archive.open(info) as stream:
        return inputs.read_capped(stream, limit, f"The archive's {inputs.shown(info.filename)!r}", TransferError)


MANIFEST_SCHEMA = {
    "type": "object", "required": ["format", "version", "name", "images"],
    "properties": {
        "format": {"const": FORMAT}, "version": {"const": VERSION},
        "name": {"type": "string", "minLength": 1, "maxLength": 256},
        "images": {"type": "array", "minItems": 1, "maxItems": MAX_IMAGES, "items": {
            "type": "object", "required": ["file", "role", "sha256"],
            "properties": {"file": {"type": "string", "maxLength": 80}, "role": {"enum": list(ROLES)},
                           "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}},
    },
}


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo("manifest.json")
    except KeyError:
        raise TransferError("The archive has no manifest.json: it is not a faceverify enrollment export") from None
    data = _member(archive, info, MAX_MANIFEST_BYTES)
    return inputs.load_json(data, "The archive's manifest", MANIFEST_SCHEMA, TransferError)


def _decode(member: str, data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data.startswith(_PNG) else None
    if image is None or image.shape != (100, 100, 3):
        raise TransferError(f"{member!r} is not a 100x100 face crop")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
