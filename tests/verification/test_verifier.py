"""The Verifier: Siamese-exact scores, the seed's decision rule, the embedding cache, bursts, identify, threads.

Correctness only, never timing (``faceverify bench`` measures speed). A fresh model is used, with weights
set so that scores are spread out (an untrained model scores every pair near 0.5, which would hide errors).
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest

import faceverify.model.network as model_module
import faceverify.verification.verifier as verifier_module
from conftest import noise_image
from faceverify.errors import FaceverifyError, UnknownPersonError
from faceverify.faces.pipeline import prepare_file, to_input
from faceverify.home.store import Store, read_crops
from faceverify.model.network import embedding_of, save_model
from faceverify.verification.rule import decide_each
from faceverify.verification.verifier import Verifier, decide
from siamese_fixtures import calibrated_siamese

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras' save

TOLERANCE = 5e-5  # LiteRT's float32 kernels (XNNPACK) sum in another order than TensorFlow's: 1.2e-5 seen
def siamese_scores(siamese: keras.Model, probes: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The full model's scores (frames, images): each (probe, image) pair through both towers and the head."""
    anchors = np.repeat(probes, len(images), axis=0)
    others = np.tile(images, (len(probes), 1, 1, 1))
    return np.asarray(siamese([to_input(anchors), to_input(others)], training=False)).reshape(len(probes), len(images))


def make_store(root: Path, model_file: Path, people: dict[str, np.ndarray]) -> Store:
    """A home with the shared model file (hard-linked: saving a new model replaces the link, not the file)."""
    store = Store(root).ensure()
    store.model_path.parent.mkdir(parents=True)
    try:
        os.link(model_file, store.model_path)
    except OSError:
        shutil.copy2(model_file, store.model_path)
    for name, crops in people.items():
        for crop in crops:
            store.add_image(name, "positive", crop)
    return store


def positives(store: Store, name: str) -> np.ndarray:
    """A person's positive crops as stored, in the Verifier's order."""
    return read_crops(store.images(name, "positive"))


@pytest.fixture(scope="module", autouse=True)
def exact_float32_scores():
    """These tests compare the verifier's scores with the full model's to 1e-5: float32 on every CPU (bfloat16
    inference agrees within test_precision's tolerance instead)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACEVERIFY_PRECISION", "float32")
        yield


@pytest.fixture(scope="module", autouse=True)
def load_each_model_file_once():
    """Loading the 150 MB model takes seconds on 2 cores, so a file already loaded is not loaded again.

    A file is the same while its device, inode, mtime and size are: every Verifier here still decides for
    itself when to load (a restart starts with nothing in memory), and a replaced model file is loaded anew.
    """
    loaded = {}
    original = model_module.load_model

    def load(path):
        stat = Path(path).stat()
        key = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key not in loaded:
            loaded[key] = original(path)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_module, "load_model", load)
        yield


@pytest.fixture(scope="module")
def crops() -> dict[str, np.ndarray]:
    stack = lambda seeds: np.stack([noise_image(s, 100) for s in seeds])  # noqa: E731
    return {"Ann": stack(range(100, 106)), "Bob": stack(range(200, 204)), "probes": stack(range(300, 305)),
            "extra": stack([400])}


@pytest.fixture(scope="module")
def siamese(crops) -> keras.Model:
    return calibrated_siamese(np.concatenate([crops["Ann"], crops["Bob"], crops["probes"]]), seed=1)


@pytest.fixture(scope="module")
def model_file(siamese, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "siamese.keras"
    save_model(siamese, path)
    return path


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, model_file, crops) -> Store:
    """Ann (6 positives), Bob (4), and Cy with an anchor but no positive image."""
    store = make_store(tmp_path_factory.mktemp("home"), model_file, {"Ann": crops["Ann"], "Bob": crops["Bob"]})
    store.add_image("Cy", "anchor", noise_image(500, 100))
    return store


@pytest.fixture(scope="module")
def verifier(enrolled) -> Verifier:
    return Verifier(enrolled)


@pytest.fixture(scope="module")
def reference(siamese, enrolled, crops) -> dict[str, np.ndarray]:
    """The full Siamese model's scores of every probe against Ann's and Bob's stored positives."""
    return {name: siamese_scores(siamese, crops["probes"], positives(enrolled, name)) for name in ("Ann", "Bob")}


@pytest.fixture
def embedded(monkeypatch) -> list[int]:
    """How many crops each Verifier.embed call embedded, in call order."""
    calls: list[int] = []
    original = Verifier.embed

    def counting(self, batch):
        calls.append(len(batch))
        return original(self, batch)

    monkeypatch.setattr(Verifier, "embed", counting)
    return calls


def a_threshold_away_from(scores: np.ndarray) -> float:
    """A detection threshold no score lies within 1e-4 of, so a TOLERANCE difference cannot flip a comparison."""
    return next(t for t in (0.5, 0.45, 0.55, 0.4, 0.6) if np.abs(scores - t).min() > 1e-4)


# -- scores ---------------------------------------------------------------------------------------------------
def test_scores_equal_the_full_siamese_models(verifier, reference, crops):
    for name, expected in reference.items():
        scores = verifier.scores(name, crops["probes"])
        assert scores.shape == expected.shape == (5, len(positives(verifier.store, name)))
        assert np.abs(scores - expected).max() <= TOLERANCE
    everything = np.concatenate([r.ravel() for r in reference.values()])
    assert everything.min() < 0.25 and everything.max() > 0.75, "scores not spread out: the test would prove little"


def test_head_one_pair_and_row_by_row(verifier, crops):
    gallery = verifier.gallery("Ann")
    probe = verifier.embed(crops["probes"][:1])[0]
    against_all = verifier.head(probe, gallery)
    assert against_all.shape == (len(gallery),)
    one = verifier.head(probe, gallery[2])
    assert one.shape == () and abs(one - against_all[2]) < 1e-7
    np.testing.assert_allclose(verifier.head(np.tile(probe, (len(gallery), 1)), gallery), against_all, atol=1e-7)
    assert verifier.head(probe, gallery[:0]).shape == (0,)


def test_unknown_person_and_person_without_positives(verifier, crops):
    with pytest.raises(UnknownPersonError, match="Nobody"):
        verifier.verify("Nobody", crops["probes"][:1])
    with pytest.raises(FaceverifyError, match="no positive images"):
        verifier.verify("Cy", crops["probes"][:1])


# -- the seed's decision rule -------------------------------------------------------------------------------------
def test_decide_is_the_share_above_the_detection_threshold():
    scores = np.array([[0.9, 0.6, 0.5], [0.2, 0.51, 0.1]])
    d = decide("Ann", scores, 0.5, 0.4, "v1")
    assert (d.person, d.comparisons, d.detection_threshold, d.verification_threshold, d.model_version) == (
        "Ann", 6, 0.5, 0.4, "v1")
    assert d.share == pytest.approx(3 / 6)  # 0.5 itself does not pass: the seed's rule is "score > threshold"
    assert d.mean_score == pytest.approx(scores.mean()) and d.verified
    assert d.scores.shape == (6,) and d.scores.dtype == np.float32


@pytest.mark.parametrize(("scores", "verification", "verified", "share"), [
    ([0.9, 0.9, 0.1, 0.1], 0.5, False, 0.5),  # a share equal to the threshold is not enough: "share > threshold"
    ([0.9, 0.9, 0.9, 0.1], 0.5, True, 0.75),
    ([0.9, 0.9, 0.9, 0.9], 1.0, False, 1.0),  # a threshold of 1 can never be passed
    ([0.1, 0.2, 0.3, 0.4], 0.0, False, 0.0),  # nothing passes: 0 is not > 0
    ([0.1, 0.2, 0.3, 0.6], 0.0, True, 0.25),  # one pass is enough when the threshold is 0
    ([], 0.5, False, 0.0),  # no comparison: never verified
])
def test_decide_edge_cases(scores, verification, verified, share):
    d = decide("Ann", np.array(scores), 0.5, verification, "v")
    assert d.verified is verified and d.share == pytest.approx(share) and d.comparisons == len(scores)
    assert d.mean_score == pytest.approx(np.mean(scores) if scores else 0.0)


def test_many_people_decided_at_once_as_each_alone():
    """Identification decides every person in one pass: each person's share, mean and verdict over their own
    columns only, at their own detection threshold."""
    rng = np.random.default_rng(3)
    scores = rng.random((3, 12)).astype(np.float32)  # 3 probes; Ann's 5 images, Bo's 0, Cy's 7
    people = [("Ann", 0, 5, 0.3, "standard"), ("Bo", 5, 5, 0.5, "custom"), ("Cy", 5, 12, 0.8, "high")]
    decisions = decide_each(people, scores, 0.5, "v")
    for (name, start, stop, detection, level), d in zip(people, decisions):
        own = scores[:, start:stop]
        assert (d.person, d.level, d.detection_threshold, d.comparisons) == (name, level, detection, own.size)
        assert d.share == pytest.approx(np.mean(own > detection) if own.size else 0.0)
        assert d.mean_score == pytest.approx(own.mean() if own.size else 0.0, rel=1e-6)
        assert d.verified == (d.share > 0.5)
        np.testing.assert_array_equal(d.scores, own.reshape(-1))
    assert decisions[0].share != decisions[2].share  # the thresholds and columns really differ per person


# -- bursts -------------------------------------------------------------------------------------------------------
def test_burst_is_every_frame_against_every_image(verifier, reference, crops):
    frames = crops["probes"]
    for name, expected in reference.items():
        threshold = a_threshold_away_from(expected)
        d = verifier.verify(name, frames, threshold, 0.3)
        assert d.comparisons == frames.shape[0] * expected.shape[1]
        assert np.abs(d.scores - expected.ravel()).max() <= TOLERANCE
        seed = decide(name, expected, threshold, 0.3, verifier.version)
        assert (d.verified, d.share, d.comparisons) == (seed.verified, seed.share, seed.comparisons)
        assert d.mean_score == pytest.approx(seed.mean_score, abs=TOLERANCE)
        one_by_one = np.concatenate([verifier.verify(name, frame[None], threshold, 0.3).scores for frame in frames])
        np.testing.assert_allclose(d.scores, one_by_one, atol=TOLERANCE)  # batching the frames changes nothing


# -- the embedding cache ------------------------------------------------------------------------------------------
def cache_dir(store: Store, version: str) -> Path:
    """The folder of a model version's cached embeddings (named by the version, the runtime format and precision)."""
    (folder,) = store.embeddings_dir.glob(f"{version}-tflite*")
    return folder


def cached_keys(store: Store, version: str, name: str) -> list[str]:
    with np.load(cache_dir(store, version) / f"{name}.npz") as saved:
        assert saved["embeddings"].shape == (len(saved["keys"]), 4096)
        return saved["keys"].tolist()


def test_cache_survives_a_restart_and_follows_enrolment(tmp_path, model_file, siamese, crops, embedded):
    store = make_store(tmp_path / "home", model_file, {"Ann": crops["Ann"]})
    probe = crops["probes"][:1]
    first = Verifier(store).verify("Ann", probe)
    assert embedded == [6, 1]  # the 6 positives once, then the probe
    cache = cache_dir(store, first.model_version) / "Ann.npz"
    assert cached_keys(store, first.model_version, "Ann") == [p.name for p in store.images("Ann", "positive")]
    written = cache.stat().st_mtime_ns

    embedded.clear()
    restarted = Verifier(store)
    second = restarted.verify("Ann", probe)
    assert embedded == [1]  # only the probe: the positives' embeddings come from the disk cache
    assert cache.stat().st_mtime_ns == written
    np.testing.assert_allclose(second.scores, first.scores, atol=1e-6)

    embedded.clear()
    added = store.add_image("Ann", "positive", crops["extra"][0])
    third = restarted.verify("Ann", probe)
    assert embedded == [1, 1] and third.comparisons == 7  # the new image only, then the probe
    assert added.name in cached_keys(store, third.model_version, "Ann")
    expected = siamese_scores(siamese, probe, positives(store, "Ann"))
    assert np.abs(third.scores - expected.ravel()).max() <= TOLERANCE  # embeddings still match their images

    embedded.clear()
    removed = store.images("Ann", "positive")[0]
    store.remove_image(removed)
    fourth = restarted.verify("Ann", probe)
    assert embedded == [1] and fourth.comparisons == 6
    assert cached_keys(store, fourth.model_version, "Ann") == [p.name for p in store.images("Ann", "positive")]
    assert removed.name not in cached_keys(store, fourth.model_version, "Ann")
    np.testing.assert_allclose(fourth.scores, np.delete(third.scores, 0), atol=1e-6)


def test_folder_is_listed_again_only_when_it_changes(tmp_path, model_file, crops, monkeypatch):
    store = make_store(tmp_path / "home", model_file, {"Ann": crops["Ann"][:3]})
    listed = []
    original = Store.images
    monkeypatch.setattr(Store, "images", lambda self, name, role: listed.append(name) or original(self, name, role))
    verifier = Verifier(store)
    probe = crops["probes"][:1]

    verifier.verify("Ann", probe)
    os.utime(store.person_dir("Ann") / "positive")  # the folder changes now
    listed.clear()
    verifier.verify("Ann", probe)
    verifier.verify("Ann", probe)
    assert len(listed) == 2  # changed under 2 s ago: its timestamps could hide a further change, so listed each time

    monkeypatch.setattr(verifier_module, "RACY_NS", 0)  # as if the folder had been quiet for a while
    listed.clear()
    verifier.verify("Ann", probe)
    for _ in range(3):
        verifier.verify("Ann", probe)
    assert len(listed) == 1  # listed once to take the folder's stamp, then never while nothing changes
    time.sleep(0.05)
    store.add_image("Ann", "positive", crops["extra"][0])
    assert verifier.verify("Ann", probe).comparisons == 4


def test_replacing_the_model_invalidates_the_cache(tmp_path, model_file, siamese, crops):
    store = make_store(tmp_path / "home", model_file, {"Ann": crops["Ann"]})
    probes = crops["probes"][:2]
    verifier = Verifier(store)
    before = verifier.verify("Ann", probes)
    old_dir = cache_dir(store, before.model_version)
    assert (old_dir / "Ann.npz").is_file()

    bias = embedding_of(siamese).get_layer("embedding_vector").bias
    original = bias.numpy()
    try:
        bias.assign(original + 0.7)  # every embedding changes: stale cached ones would give wrong scores
        save_model(siamese, store.model_path)
        expected = siamese_scores(siamese, probes, positives(store, "Ann"))
    finally:
        bias.assign(original)

    after = verifier.verify("Ann", probes)
    assert after.model_version == verifier.version != before.model_version
    assert (cache_dir(store, after.model_version) / "Ann.npz").is_file()
    assert not old_dir.exists()
    assert np.abs(after.scores - before.scores).max() > 1e-3
    assert np.abs(after.scores - expected.ravel()).max() <= TOLERANCE


# -- threads ------------------------------------------------------------------------------------------------------
def test_concurrent_verifies_give_the_sequential_decisions(enrolled, verifier, crops):
    probes = crops["probes"]
    jobs = [("Ann", probes[:3]), ("Bob", probes[2:]), ("Ann", probes[1:4]), ("Bob", probes[:2]), ("Ann", probes[4:])]
    sequential = [verifier.verify(name, frames) for name, frames in jobs]

    shutil.rmtree(enrolled.embeddings_dir, ignore_errors=True)  # cold: both threads build the same galleries at once
    shared = Verifier(enrolled)
    start = threading.Barrier(2)

    def run(order: list[int]) -> dict[int, object]:
        start.wait()
        return {i: shared.verify(*jobs[i]) for i in order}

    with ThreadPoolExecutor(2) as pool:
        results = [f.result() for f in [pool.submit(run, list(range(len(jobs)))),
                                        pool.submit(run, list(reversed(range(len(jobs)))))]]
    for result in results:
        for i, expected in enumerate(sequential):
            got = result[i]
            assert (got.person, got.verified, got.share, got.comparisons) == (
                expected.person, expected.verified, expected.share, expected.comparisons)
            np.testing.assert_allclose(got.scores, expected.scores, atol=TOLERANCE)
    for name in ("Ann", "Bob"):
        assert cached_keys(enrolled, shared.version, name) == [p.name for p in enrolled.images(name, "positive")]


# -- identify on real faces ---------------------------------------------------------------------------------------
ENROLLED = ("Colin_Powell", "Gerhard_Schroeder", "Hugo_Chavez", "Tony_Blair")
OUTSIDER = "Ariel_Sharon"


def test_identify_picks_the_right_person_among_real_lfw_faces(tmp_path, lfw_dir):
    """identify's logic on real LFW faces, made exact by a model whose right answer is known.

    Four LFW people are enrolled with three face crops each, made by the real preprocessing
    (faces.prepare_file: Haar detection, margin, 100x100) and stored as PNGs like any enrolment. An
    untrained network cannot tell people apart and training takes minutes, so the model is instead set so
    that a crop scores sigmoid(6) against itself and every two distinct crops here score below sigmoid(-6)
    (its scale is taken from the smallest distance between their embeddings). A probe burst made of
    copies of enrolled crops therefore has a known right answer, and only the Verifier decides whether it
    is reached: per-person galleries from the store, every frame against every image, the share rule, the
    ranking between people who pass, and 'unknown' (None) when nobody passes.
    """
    faces = {person: np.stack([prepare_file(path).pixels for path in sorted((lfw_dir / person).glob("*.jpg"))[:3]])
             for person in (*ENROLLED, OUTSIDER)}
    model_file = tmp_path / "identity.keras"
    save_model(calibrated_siamese(np.concatenate(list(faces.values())), seed=2, identical_only=True), model_file)
    store = make_store(tmp_path / "home", model_file, {p: faces[p] for p in ENROLLED})
    verifier = Verifier(store)

    for person in ENROLLED:  # a burst of 3 frames against 3 images: 3 of 9 comparisons match
        result = verifier.identify(faces[person], 0.5, 0.2)
        assert result.person == person and result.decisions[0].person == person
        assert result.decisions[0].share == pytest.approx(1 / 3) and result.decisions[0].verified
        assert sorted(d.person for d in result.decisions) == sorted(ENROLLED)
        assert all(d.share == 0 and not d.verified for d in result.decisions[1:])
        assert verifier.verify(person, faces[person], 0.5, 0.2).share == pytest.approx(1 / 3)

    stranger = verifier.identify(faces[OUTSIDER], 0.5, 0.2)
    assert stranger.person is None and all(d.share == 0 for d in stranger.decisions)

    mixed = np.stack([faces["Tony_Blair"][0], faces["Hugo_Chavez"][1], faces["Tony_Blair"][2]])
    both = verifier.identify(mixed, 0.5, 0.1)  # Tony 2/9, Hugo 1/9: both pass, the higher share wins
    assert both.person == "Tony_Blair"
    assert [(d.person, d.verified) for d in both.decisions[:2]] == [("Tony_Blair", True), ("Hugo_Chavez", True)]
    assert verifier.identify(mixed, 0.5, 0.25).person is None  # nobody reaches a high threshold: unknown
