"""Security levels: a false-accept rate the operator chooses, kept per enrolled person against an impostor cohort.

A level promises how often a stranger is let in ("about 1 stranger in 100"). Each enrolled person gets the lowest
detection threshold at which the cohort (faces of people the model never trained on, see :mod:`cohort`) passes the
app's own rule against that person's gallery at most at the level's rate: the same share rule and verification
threshold, each cohort face a burst of its own (a burst of identical frames has the same share as one frame). A
person whose gallery looks like many strangers gets a stricter threshold by themself. How many of the person's own
enrolled images the threshold would still accept is estimated on them too (anchors against the gallery, positives
against the rest of it), so that a level the person cannot reach is said, not silently paid for in rejections.
No TensorFlow here: scores come from the caller's ``head``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from faceverify.errors import FaceverifyError
from faceverify.verification.rule import CUSTOM_LEVEL, deciding_scores

NO_COHORT = ("The model in use has no cohort of unseen faces to set a security level with (its calibrated "
             "threshold decides): import negatives and train again, or choose custom")
MOST_REJECTED = 0.5  # a threshold that rejects more than this share of the person's own images is not reachable

Head = Callable[[np.ndarray, np.ndarray], np.ndarray]


class NoCohortError(FaceverifyError):
    """The model in use has no cohort of unseen faces: no level can be kept with it."""


@dataclass(frozen=True)
class Level:
    """A named false-accept rate."""

    name: str
    far: float
    words: str

    @property
    def title(self) -> str:
        return self.name.capitalize()

    def describe(self) -> str:
        return f"{self.title}: {self.words}"


LEVELS = {level.name: level for level in (
    Level("standard", 0.01, "about 1 stranger in 100 accepted"),
    Level("high", 0.001, "about 1 stranger in 1,000 accepted"),
)}
DEFAULT_LEVEL = "standard"
LEVEL_NAMES = (*LEVELS, CUSTOM_LEVEL)  # custom: the detection and verification thresholds as set by hand


def level_named(name: str) -> Level | None:
    """The level of that name (None for custom: raw thresholds); FaceverifyError naming the choices otherwise."""
    if name == CUSTOM_LEVEL:
        return None
    if name not in LEVELS:
        raise FaceverifyError(f"Unknown security level {name!r}: choose {', '.join(LEVEL_NAMES)}")
    return LEVELS[name]


def chosen_level(settings: dict) -> str:
    """The level saved in the settings, else the default."""
    name = settings.get("security_level")
    return name if name in LEVEL_NAMES else DEFAULT_LEVEL


def cohort_threshold(deciding: np.ndarray, far: float) -> float:
    """The lowest threshold t with at most ``far`` of the deciding scores above it (passing is strictly above)."""
    ordered = np.sort(np.asarray(deciding, np.float64))[::-1]
    allowed = int(np.floor(far * len(ordered) + 1e-9))
    return float(ordered[min(allowed, len(ordered) - 1)])


@dataclass(frozen=True)
class PersonThreshold:
    """One person's detection threshold at a level, what the cohort does at it, and what it costs them."""

    person: str
    level: str
    threshold: float
    cohort_far: float  # share of the cohort that passes at the threshold
    cohort_faces: int
    own_frr: float | None  # share of the person's own enrolled images it rejects (None: too few to say)
    own_images: int

    @property
    def reachable(self) -> bool:
        return self.own_frr is None or self.own_frr <= MOST_REJECTED

    def warning(self) -> str | None:
        """What to tell the operator when the level costs the person most of their own images."""
        if self.reachable:
            return None
        return (f"{self.person} cannot reach the {self.level} level without rejecting {self.own_frr:.0%} of their own "
                "enrolled images: enroll more images of them (other light and angles), or choose a lower level")

    def describe(self) -> str:
        own = (f"rejects {self.own_frr:.0%} of their {self.own_images} own images" if self.own_frr is not None
               else "too few own images to say how many it rejects")
        return (f"threshold {self.threshold:.3f}: {self.cohort_far:.1%} of {self.cohort_faces:,} unseen faces pass, "
                f"{own}")


def own_deciding(head: Head, gallery: np.ndarray, anchors: np.ndarray, verification: float) -> np.ndarray:
    """Deciding scores of the person's own images: each anchor against the gallery, each positive against the others."""
    parts = [deciding_scores(np.stack([head(a, gallery) for a in anchors]), verification)] if len(anchors) else []
    if len(gallery) >= 2:
        scores = np.stack([head(g, gallery) for g in gallery])
        others = scores[~np.eye(len(gallery), dtype=bool)].reshape(len(gallery), len(gallery) - 1)
        parts.append(deciding_scores(others, verification))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def person_threshold(person: str, level: Level, verification: float, head: Head, gallery: np.ndarray,
                     cohort: np.ndarray, anchors: np.ndarray) -> PersonThreshold:
    """The person's threshold at ``level`` from the cohort's deciding scores against their gallery."""
    if len(cohort) == 0:
        raise NoCohortError(NO_COHORT)
    scores = np.stack([head(g, cohort) for g in gallery], axis=1)  # (cohort, gallery), one gallery image at a time
    deciding = deciding_scores(scores, verification)
    threshold = cohort_threshold(deciding, level.far)
    own = own_deciding(head, gallery, anchors, verification)
    own_frr = float(np.mean(own <= threshold)) if len(own) >= 2 else None
    return PersonThreshold(person, level.name, threshold, float(np.mean(deciding > threshold)), len(cohort), own_frr,
                           len(own))
