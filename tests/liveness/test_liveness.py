"""The liveness check on real inputs: a 3-D head turning against flat photos held every way (landmark tracks and
videos made from a real LFW photo), the real clips (never frozen; a real turn answers the matching prompt only)."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from faceverify.faces.pipeline import prepare, read_image
from faceverify.liveness.challenge import Challenge, FrozenFeed, Observation, Outcome, random_prompts
from faceverify.liveness.head_turn import YAW_THRESHOLD, Direction, pose_of, turned
from liveness_scenes import (
    ATTACKS,
    clip_observations,
    frame_observations,
    head_landmarks,
    head_track,
    photo_attack,
    photo_landmarks,
    photo_track,
    random_photo_pose,
    turns,
)

LEFT, RIGHT = Direction.LEFT, Direction.RIGHT
PHOTOS = ("Aaron_Peirsol", "Serena_Williams", "Tony_Blair", "Gloria_Macapagal_Arroyo")


def run(challenge: Challenge, observations: list[Observation]):
    """Feeds the observations until the challenge ends; its last status."""
    for observation in observations:
        status = challenge.observe(observation)
        if status.done:
            return status
    return challenge.check_time(observations[-1].time + challenge.seconds_per_prompt + 1)


@pytest.fixture(scope="module")
def lfw_landmarks(lfw_dir: Path) -> list[np.ndarray]:
    """Real landmarks of real LFW photos (Haar + dlib, as the app finds them)."""
    found = []
    for person in PHOTOS:
        face = prepare(read_image(lfw_dir / person / f"{person}_0001.jpg"))
        assert face.landmarks is not None, person
        found.append(face.landmarks.points)
    return found


# -- the geometry ---------------------------------------------------------------------------------------------------
def test_the_yaw_cue_follows_a_3d_head_turn_and_ignores_roll_and_position():
    frontal = pose_of(head_landmarks(0))
    left, right = pose_of(head_landmarks(25)), pose_of(head_landmarks(-25))
    assert left.yaw - frontal.yaw > YAW_THRESHOLD > 0 and frontal.yaw - right.yaw > YAW_THRESHOLD
    assert left.asymmetry < frontal.asymmetry < right.asymmetry  # the eye on the turned side narrows
    rolled = pose_of(head_landmarks(25, roll=30))
    assert (rolled.yaw, rolled.asymmetry) == pytest.approx((left.yaw, left.asymmetry), abs=1e-9)
    further = pose_of(head_landmarks(25, distance_mm=1200))
    assert further.yaw == pytest.approx(left.yaw, rel=0.15)  # perspective matters little at arm's length
    assert turned(left, frontal, LEFT) and not turned(left, frontal, RIGHT)
    assert turned(left, frontal, RIGHT, mirrored=True)  # in a mirrored picture the user's left is the image's left


def test_no_pose_of_a_flat_photo_held_within_10_degrees_looks_turned(lfw_landmarks):
    rng = np.random.default_rng(7)
    for _ in range(2000):
        photo = lfw_landmarks[rng.integers(len(lfw_landmarks))]
        focal = float(rng.uniform(320, 1200))
        before = pose_of(photo_landmarks(photo, random_photo_pose(rng, 10), focal))
        after = pose_of(photo_landmarks(photo, random_photo_pose(rng, 10), focal))
        assert not turned(after, before, LEFT) and not turned(after, before, RIGHT)


# -- the challenge on landmark tracks ---------------------------------------------------------------------------
def test_a_live_head_answering_seeded_prompts_passes_and_the_opposite_order_fails():
    prompts = random_prompts(3, random.Random(5))
    assert prompts == [RIGHT, RIGHT, LEFT]
    signs = [1 if p is LEFT else -1 for p in prompts]
    for seed in range(3):
        status = run(Challenge(prompts), head_track(turns(signs), seed=seed))
        assert status.outcome is Outcome.PASSED and status.answered == 3, status
        status = run(Challenge(prompts), head_track(turns([-s for s in signs]), seed=seed))
        assert status.outcome is Outcome.FAILED
        assert status.reason == "You turned your head to your left, not your right"


def test_a_slight_turn_is_not_enough_and_times_out_with_the_reason():
    status = run(Challenge([LEFT], seconds_per_prompt=3), head_track([(0, 0), (1, 0), (1.4, 8), (5, 8)]))
    assert status.outcome is Outcome.FAILED and status.reason == "You did not turn your head to your left in time"


@pytest.mark.parametrize("seed", range(6))
def test_a_flat_photo_waved_about_never_passes(lfw_landmarks, seed):
    track = photo_track(lfw_landmarks[seed % len(lfw_landmarks)], seconds=10, max_tilt=10, seed=seed)
    for prompt in (LEFT, RIGHT):
        status = run(Challenge([prompt], seconds_per_prompt=9), track)
        assert status.outcome is Outcome.FAILED, status
        assert status.reason == f"You did not turn your head to your {prompt.value} in time"


def test_identity_frames_come_from_inside_the_challenge_and_face_the_camera():
    track = head_track(turns([1, -1]))
    challenge = Challenge([LEFT, RIGHT])
    status = run(challenge, track)
    assert status.outcome is Outcome.PASSED
    frames = challenge.identity_frames(5)
    assert len(frames) == 5 and [f.time for f in frames] == sorted(f.time for f in frames)
    assert all(abs(f.pose.yaw - frames[0].pose.yaw) < YAW_THRESHOLD / 2 for f in frames)
    assert {f.index for f in frames} <= {o.index for o in track}


def test_a_face_that_jumps_or_goes_missing_fails_and_cancel_stops_it():
    track = head_track(turns([1]))
    moved = [Observation(o.time, o.thumbnail, (o.box[0] + 200, *o.box[1:]), o.points + (200, 0), o.frame_width,
                         o.index) for o in track[8:]]
    status = run(Challenge([LEFT]), track[:8] + moved)
    assert status.reason == "The face changed during the check: one person, in view from start to end"
    empty = [Observation(o.time, o.thumbnail, index=o.index) for o in track[8:]]
    status = run(Challenge([LEFT]), track[:8] + empty)
    assert status.reason == "The face was lost during the check: stay in view until it ends"
    challenge = Challenge([LEFT])
    challenge.observe(track[0])
    assert challenge.cancel().outcome is Outcome.CANCELLED
    assert challenge.observe(track[1]).outcome is Outcome.CANCELLED


def test_no_face_at_all_times_out_with_a_reason_and_a_frozen_feed_fails_at_once():
    blank = [Observation(i / 15, np.full((60, 80), i % 7, np.uint8), index=i) for i in range(120)]
    status = run(Challenge([LEFT], seconds_per_prompt=4), blank)
    assert status.reason == "No face was seen long enough: look straight at the camera"
    track = head_track(turns([1]))
    frozen = [Observation(o.time, track[0].thumbnail, o.box, o.points, o.frame_width, o.index) for o in track]
    challenge = Challenge([LEFT])
    statuses = [challenge.observe(observation) for observation in frozen[:4]]
    assert [s.done for s in statuses] == [False, False, False, True]
    assert statuses[-1].reason.startswith("The camera picture is frozen")


# -- real pictures --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ATTACKS)
def test_a_video_of_one_lfw_photo_fails(lfw_dir, kind):
    rgb = read_image(lfw_dir / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg")
    observations = frame_observations(photo_attack(rgb, prepare(rgb).landmarks.points, kind, seconds=6))
    assert sum(o.pose is not None for o in observations) >= 0.9 * len(observations)  # the face is seen throughout
    for prompt in (LEFT, RIGHT):
        status = run(Challenge([prompt], seconds_per_prompt=5), observations)
        assert status.outcome is Outcome.FAILED
        expected = "The camera picture is frozen" if kind == "still" else "You did not turn your head"
        assert status.reason.startswith(expected), status.reason


@pytest.fixture(scope="module")
def hamilton(shared_data: Path) -> list[Observation]:
    return clip_observations(shared_data / "video" / "hamilton_clip.mp4")


@pytest.mark.parametrize("clip", ["asl_book.mkv", "hamilton_clip.mp4"])
def test_real_clips_are_never_taken_for_a_frozen_feed(shared_data, clip):
    frozen = FrozenFeed()
    observations = clip_observations(shared_data / "video" / clip)
    assert len(observations) > 100
    assert not any(frozen.frozen(o.thumbnail) for o in observations)


# Frames 181-207: the performer looks at the camera, then turns to his right; 141-162: he turns to his left.
@pytest.mark.parametrize(("start", "stop", "turn"), [(181, 208, RIGHT), (141, 163, LEFT)])
def test_a_real_head_turn_answers_the_matching_prompt_and_fails_the_opposite(hamilton, start, stop, turn):
    stretch = [o for o in hamilton if start <= o.index < stop]
    seed = next(seed for seed in range(100) if random_prompts(1, random.Random(seed)) == [turn])
    challenge = Challenge(random_prompts(1, random.Random(seed)))
    assert run(challenge, stretch).outcome is Outcome.PASSED
    assert {f.index for f in challenge.identity_frames(5)} <= set(range(start, stop))
    status = run(Challenge([turn.opposite]), stretch)
    assert status.outcome is Outcome.FAILED and status.reason.startswith("You turned your head")


def test_another_face_stepping_in_fails_the_check(hamilton):
    status = run(Challenge([LEFT, RIGHT], seconds_per_prompt=20), [o for o in hamilton if o.index >= 160])
    assert status.reason == "The face changed during the check: one person, in view from start to end"


def test_the_countdown_starts_with_the_first_turn_and_only_counts_down_until_the_next():
    challenge = Challenge([LEFT, RIGHT], seconds_per_prompt=6)
    shown = []
    for observation in head_track(turns([1, -1], rest=1.5)):
        for status in (challenge.check_time(observation.time + 0.5),  # the clock, checked while no frame came ...
                       challenge.observe(observation)):  # ... then a frame taken before that check
            shown.append((status.answered, status.started, status.countdown()))
        if status.done:
            break
    assert status.outcome is Outcome.PASSED
    assert shown[0] == (0, False, ""), "no countdown while the starting pose is taken"
    for turn in (0, 1):
        seconds = [int(text.split()[0]) for answered, started, text in shown if started and answered == turn]
        assert seconds[0] == 6 and seconds == sorted(seconds, reverse=True), seconds
