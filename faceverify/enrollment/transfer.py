"""Move one person's enrollment between homes: a zip archive of their face crops plus a manifest.

The archive holds ``manifest.json`` ({"format", "version", "name", "images": [{"file", "role", "sha256"}]}) and
one PNG per crop at ``<role>/<sha256>.png``. Importing trusts nothing in it: the manifest must be well formed, every
member must be listed and named exactly ``<role>/<64 hex>.png`` (no folders, no "..", no absolute paths, no links),
sizes are capped before anything is decompressed, each crop must match its checksum and decode to a 100x100 colour
image, and the crops are stored through the store like any capture, so that no path from the archive reaches the disk.
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
from faceverify.files import atomic, locks
from faceverify.home.store import ROLES, Store, validate_name

FORMAT = "faceverify-person"
VERSION = 1
MAX_IMAGES = 5000
MAX_IMAGE_BYTES = 1 << 20  # a 100x100 PNG is ~30 KB
MAX_MANIFEST_BYTES = 1 << 20
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

    Raises TransferError, naming the first problem, before anything is stored.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            name, crops = _read(archive)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise TransferError(f"{Path(path).name} is not a readable enrollment archive: {error}") from error
    with locks.writing(store.ensure().root, "person import"):  # one writer at a time, as for an enrollment
        new = [(role, pixels) for role, pixels in crops if store.find_image(name, pixels) is None]
        for role, pixels in new:
            store.add_image(name, role, pixels)
    return Transferred(name, *(sum(r == role for r, _ in new) for role in ROLES),
                       already_there=len(crops) - len(new))


def _read(archive: zipfile.ZipFile) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The person's name and (role, crop) pairs, every check passed."""
    manifest = _manifest(archive)
    name = validate_name(manifest["name"])
    listed = {image["file"]: image for image in manifest["images"]}
    infos = {info.filename: info for info in archive.infolist()}
    unexpected = sorted(set(infos) - set(listed) - {"manifest.json"})
    if unexpected:
        raise TransferError(f"The archive holds a file its manifest does not list: {unexpected[0]!r}")
    crops = []
    for member, image in listed.items():
        match = _MEMBER.fullmatch(member)
        if not match or match.group(1) != image["role"] or match.group(2) != image["sha256"]:
            raise TransferError(f"Refused: {member!r} is not a crop's name (expected ROLE/SHA256.png)")
        info = infos.get(member)
        if info is None:
            raise TransferError(f"The manifest lists {member!r}, which the archive does not hold")
        if stat.S_ISLNK(info.external_attr >> 16) or info.file_size > MAX_IMAGE_BYTES:
            raise TransferError(f"Refused: {member!r} is a link or too large")
        data = archive.read(info)
        if hashlib.sha256(data).hexdigest() != image["sha256"]:
            raise TransferError(f"{member!r} does not match its checksum: the archive is damaged")
        crops.append((image["role"], _decode(member, data)))
    return name, crops


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo("manifest.json")
    except KeyError:
        raise TransferError("The archive has no manifest.json: it is not a faceverify enrollment export") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise TransferError("The archive's manifest is too large")
    try:
        manifest = json.loads(archive.read(info))
    except ValueError as error:
        raise TransferError(f"The archive's manifest is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise TransferError(f"Not a {FORMAT} archive of version {VERSION}")
    images = manifest.get("images")
    if not isinstance(manifest.get("name"), str) or not isinstance(images, list) or len(images) > MAX_IMAGES or \
            not all(isinstance(i, dict) and {"file", "role", "sha256"} <= i.keys() for i in images):
        raise TransferError("The archive's manifest is incomplete (name and images with file, role and sha256)")
    return manifest


def _decode(member: str, data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape != (100, 100, 3):
        raise TransferError(f"{member!r} is not a 100x100 face crop")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
