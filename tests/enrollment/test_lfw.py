"""Reading LFW: a small fake set built in tmp_path (folder and archives), and the real protocol files."""
from __future__ import annotations

import random
import tarfile
import zlib
from pathlib import Path

import pytest

from faceverify.enrollment.lfw import (
    LfwImage,
    LfwPair,
    count_lfw,
    image_path,
    iter_lfw,
    read_pairs_file,
    read_people_file,
)
from faceverify.errors import DatasetError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PEOPLE = {"Ann_Lee": 3, "Bo_Al-Sabah": 1, "Carl_Dean_Ray": 2}


def _jpeg(seed: str) -> bytes:
    """Incompressible stand-in bytes of a few KB, so an archive cut in half cuts through images."""
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(4000)


def _expected(people: set[str] | None = None) -> list[LfwImage]:
    return [LfwImage(person, f"{person}_{index:04d}.jpg", _jpeg(f"{person}{index}"))
            for person, count in sorted(PEOPLE.items()) if people is None or person in people
            for index in range(1, count + 1)]


@pytest.fixture
def lfw_dir(tmp_path: Path) -> Path:
    """``tmp_path/src/lfw`` holding PEOPLE's images plus files that are not LFW images."""
    root = tmp_path / "src" / "lfw"
    for image in _expected():
        (root / image.person).mkdir(parents=True, exist_ok=True)
        (root / image.person / image.name).write_bytes(image.data)
    (root / "README.txt").write_text("not an image")
    (root / "Ann_Lee" / "Ann_Lee_1.jpg").write_bytes(b"x")  # index not 4 digits
    (root / "Ann_Lee" / "Ann_Lee_0009.png").write_bytes(b"x")  # not .jpg
    (root / "Ann_Lee" / "Bo_Al-Sabah_0002.jpg").write_bytes(b"x")  # someone else's name
    (root / "Ann_Lee" / "thumbs").mkdir()
    return root


def _pack(folder: Path, archive: Path, top: str = "lfw", mode: str = "w:gz") -> Path:
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname=top)
    return archive


def _sorted(images) -> list[LfwImage]:
    return sorted(images, key=lambda image: image.name)


def test_folder_and_archives_give_the_same_images(lfw_dir: Path, tmp_path: Path) -> None:
    assert list(iter_lfw(lfw_dir)) == _expected()
    assert list(iter_lfw(lfw_dir.parent)) == _expected()  # the folder holding lfw/
    for archive in (_pack(lfw_dir, tmp_path / "lfw.tgz"),
                    _pack(lfw_dir, tmp_path / "deep.tgz", top="lfw-deepfunneled"),
                    _pack(lfw_dir, tmp_path / "lfw.tar.bz2", mode="w:bz2"),
                    _pack(lfw_dir, tmp_path / "lfw.tar.xz", mode="w:xz"),
                    _pack(lfw_dir, tmp_path / "lfw.tar", mode="w")):
        assert _sorted(iter_lfw(archive)) == _expected(), archive.name


def test_people_filter(lfw_dir: Path, tmp_path: Path) -> None:
    wanted = {"Ann_Lee", "Carl_Dean_Ray", "Nobody_Here"}
    assert list(iter_lfw(lfw_dir, wanted)) == _expected(wanted)
    assert _sorted(iter_lfw(_pack(lfw_dir, tmp_path / "lfw.tgz"), wanted)) == _expected(wanted)
    with pytest.raises(DatasetError, match="no LFW images of the 1 requested people"):
        list(iter_lfw(lfw_dir, {"Nobody_Here"}))


def test_count(lfw_dir: Path, tmp_path: Path) -> None:
    assert count_lfw(lfw_dir) == count_lfw(lfw_dir.parent) == sum(PEOPLE.values())
    assert count_lfw(_pack(lfw_dir, tmp_path / "lfw.tgz")) is None


def test_sources_without_lfw_images(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(_jpeg("holiday"))
    with pytest.raises(DatasetError, match=r"holds no LFW images \(expected lfw/"):
        list(iter_lfw(tmp_path / "photos"))
    with pytest.raises(DatasetError, match="holds no LFW images"):
        list(iter_lfw(_pack(tmp_path / "photos", tmp_path / "photos.tgz", top="photos")))
    (tmp_path / "notes.txt").write_text("hello\n" * 200)
    with pytest.raises(DatasetError, match="is not an LFW archive or folder"):
        list(iter_lfw(tmp_path / "notes.txt"))
    with pytest.raises(DatasetError, match="does not exist"):
        list(iter_lfw(tmp_path / "missing.tgz"))


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_archive(lfw_dir: Path, tmp_path: Path, fraction: float) -> None:
    data = _pack(lfw_dir, tmp_path / "lfw.tgz").read_bytes()
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(data[: int(len(data) * fraction)])
    received = []
    with pytest.raises(DatasetError, match="is truncated or corrupt after") as caught:
        received.extend(iter_lfw(cut))
    assert f"after {len(received)} images" in str(caught.value)
    assert received == _expected()[: len(received)]


def test_truncated_where_tar_sees_a_clean_end(lfw_dir: Path, tmp_path: Path) -> None:
    """A gzip stream cut at (or inside) a member header, or just before its trailer: tarfile alone reads these
    as complete archives; the missing gzip end marker gives them away."""
    tar = _pack(lfw_dir, tmp_path / "lfw.tar", mode="w").read_bytes()
    with tarfile.open(tmp_path / "lfw.tar") as archive:
        boundary = [member.offset for member in archive.getmembers() if member.isfile()][2]
    archive = tmp_path / "lfw.tgz"
    for cut in (boundary, boundary + 100):
        gzip_stream = zlib.compressobj(wbits=31)  # 31: gzip container
        head = gzip_stream.compress(tar[:cut]) + gzip_stream.flush(zlib.Z_SYNC_FLUSH)
        whole = head + gzip_stream.compress(tar[cut:]) + gzip_stream.flush()
        archive.write_bytes(whole)
        assert _sorted(iter_lfw(archive)) == _expected()
        for truncated in (head, whole[:-4]):
            archive.write_bytes(truncated)
            with pytest.raises(DatasetError, match="is truncated or corrupt after"):
                list(iter_lfw(archive))


def test_read_people_file(tmp_path: Path) -> None:
    with_count = tmp_path / "peopleDevTrain.txt"
    with_count.write_text("2\nAnn_Lee\t3\nBo_Al-Sabah\t1\n")
    names = tmp_path / "lfw-names.txt"
    names.write_text("Ann_Lee\t3\r\nBo_Al-Sabah\t1\r\n\r\n")
    assert read_people_file(with_count) == read_people_file(names) == [("Ann_Lee", 3), ("Bo_Al-Sabah", 1)]
    for text, message in [("3\nAnn_Lee\t3\nBo\t1\n", "declares 3 people but lists 2"),
                          ("2\nAnn_Lee\t3\nBo\tmany\n", "line 3: expected 'Name<TAB>images'"),
                          ("Ann_Lee\t3\nAnn_Lee\t2\n", "line 2: Ann_Lee is listed twice"),
                          ("Ann_Lee\t3\n\nBo\t1\n", "line 2: expected"),
                          ("\n\n", "is empty")]:
        with_count.write_text(text)
        with pytest.raises(DatasetError, match=message):
            read_people_file(with_count)
    with pytest.raises(DatasetError, match="File not found"):
        read_people_file(tmp_path / "missing.txt")


def test_read_pairs_file(tmp_path: Path) -> None:
    view1 = tmp_path / "pairsDevTest.txt"
    view1.write_text("1\nAnn_Lee\t1\t3\nAnn_Lee\t2\tBo_Al-Sabah\t1\n")
    assert read_pairs_file(view1) == [LfwPair("Ann_Lee", 1, "Ann_Lee", 3, True, 0),
                                      LfwPair("Ann_Lee", 2, "Bo_Al-Sabah", 1, False, 0)]
    view2 = tmp_path / "pairs.txt"
    view2.write_text("2\t1\nAnn_Lee\t1\t2\nAnn_Lee\t1\tBo\t1\nCarl\t1\t2\nCarl\t2\tBo\t1\n")
    pairs = read_pairs_file(view2)
    assert [(pair.same, pair.fold) for pair in pairs] == [(True, 0), (False, 0), (True, 1), (False, 1)]
    assert pairs[3].paths == ("Carl/Carl_0002.jpg", "Bo/Bo_0001.jpg") == (image_path("Carl", 2), "Bo/Bo_0001.jpg")
    for text, message in [("1\nAnn_Lee\t1\tBo\t3\nAnn_Lee\t2\tBo\t1\n", "line 2: expected 'Name i j'"),
                          ("1\nAnn_Lee\t1\t3\nAnn_Lee\t2\tBo\n", "line 3: expected 'NameA i NameB j'"),
                          ("1\nAnn_Lee\t1\t0\nAnn_Lee\t2\tBo\t1\n", "line 2: expected"),
                          ("1\nAnn_Lee\t1\t3\n", "1 fold.* of 2 x 1 pairs but holds 1 pair lines"),
                          ("ten\n", "line 1: expected 'pairs' or 'folds pairs'")]:
        view1.write_text(text)
        with pytest.raises(DatasetError, match=message):
            read_pairs_file(view1)


def _real(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real LFW data not found at {path}")
    return path


def test_real_pairs_files() -> None:
    dev_test = read_pairs_file(_real("pairsDevTest.txt"))
    assert (sum(p.same for p in dev_test), sum(not p.same for p in dev_test)) == (500, 500)
    view2 = read_pairs_file(_real("pairs.txt"))
    assert len(view2) == 6000
    for fold in range(10):
        in_fold = [p for p in view2 if p.fold == fold]
        assert (sum(p.same for p in in_fold), sum(not p.same for p in in_fold)) == (300, 300)
    counts = dict(read_people_file(_real("lfw-names.txt")))
    assert all(1 <= p.index_a <= counts[p.person_a] and 1 <= p.index_b <= counts[p.person_b] for p in view2)


def test_real_people_files() -> None:
    train = read_people_file(_real("peopleDevTrain.txt"))
    assert (len(train), sum(count for _, count in train)) == (4038, 9525)
    everyone = read_people_file(_real("lfw-names.txt"))
    assert (len(everyone), sum(count for _, count in everyone)) == (5749, 13233)


def test_real_images_of_some_people() -> None:
    folder = _real("lfw")
    images = list(iter_lfw(folder.parent, {"Aaron_Eckhart", "George_W_Bush"}))
    assert [image.person for image in images].count("Aaron_Eckhart") == 1
    assert [image.person for image in images].count("George_W_Bush") == 530
    assert images[0].name == "Aaron_Eckhart_0001.jpg" and images[0].data[:2] == b"\xff\xd8"
