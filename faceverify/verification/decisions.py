"""Decisions end to end, shared by the CLI and the GUI: crops -> verifier -> decision -> audit log.

A probe is one image file or a burst of camera frames; each is prepared by :mod:`faces`, scored by
the :class:`~faceverify.verification.verifier.Verifier`, decided by the seed's rule, and recorded in the audit log.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceverify.faces.pipeline import Face, encode_png, prepare_file
from faceverify.home.audit import AuditEntry, AuditLog
from faceverify.home.store import Store
from faceverify.liveness.live_challenge import NOT_CHECKED, LivenessResult
from faceverify.model.current import model_trained, model_version
from faceverify.verification.levels import Level
from faceverify.verification.rule import CUSTOM_LEVEL, Decision
from faceverify.verification.thresholds import decision_thresholds
from faceverify.verification.verifier import DamagedModelError, Identification, Verifier


@dataclass(frozen=True)
class Outcome:
    """The result for one probe: a verification (``identification`` None) or an identification."""

    image: str
    decision: Decision | None  # verify: the claimed person's; identify: the best person's (None if nobody enrolled)
    identification: Identification | None
    face_found: bool
    seconds: float

    @property
    def kind(self) -> str:
        return "identify" if self.identification else "verify"

    @property
    def person(self) -> str:
        """The claimed person (verify) or the one identified, or 'unknown'."""
        if self.identification:
            return self.identification.person or "unknown"
        return self.decision.person

    @property
    def accepted(self) -> bool:
        return self.identification.person is not None if self.identification else self.decision.verified

    def to_json(self) -> dict:
        """The JSON object of `faceverify verify/identify --json`."""
        d = self.decision
        result = {
            "image": self.image, "kind": self.kind, "person": self.person, "verified": self.accepted,
            "share": d.share if d else 0.0, "mean_score": d.mean_score if d else 0.0,
            "comparisons": d.comparisons if d else 0,
            "detection_threshold": d.detection_threshold if d else None,
            "verification_threshold": d.verification_threshold if d else None,
            "level": d.level if d else None,
            "face_found": self.face_found, "model_version": d.model_version if d else None,
            "seconds": round(self.seconds, 4),
        }
        if self.identification:
            result["candidates"] = [
                {"person": c.person, "share": c.share, "mean_score": c.mean_score, "verified": c.verified}
                for c in self.identification.decisions
            ]
        return result

    def describe(self) -> str:
        """One human-readable line."""
        d = self.decision
        face = "" if self.face_found else " (no face detected: centre of the image used)"
        if d is None:
            return f"{self.image}: unknown (nobody enrolled){face}"
        verdict = ("VERIFIED" if self.accepted else "NOT VERIFIED") if self.kind == "verify" else self.person
        return (f"{self.image}: {verdict} — {d.person}: {d.share:.0%} of {d.comparisons} comparisons pass "
                f"{d.detection_threshold:.3f} (needs > {d.verification_threshold:.0%}), mean score {d.mean_score:.3f}, "
                f"level {d.level}{face}")


class DecisionService:
    """Runs and logs decisions for one face (``source`` is 'cli', 'gui' or 'api'); thread-safe like the verifier.

    Decisions go to ``audit`` (the caller's open log, which it closes), else to a log the service opens on the first
    decision and keeps until :meth:`close`.
    """

    def __init__(self, store: Store, source: str, verifier: Verifier | None = None,
                 audit: AuditLog | None = None) -> None:
        self.store = store
        self.source = source
        self.verifier = verifier or Verifier(store)
        self._audit = audit
        self._owns_audit = audit is None
        self._audit_lock = threading.Lock()

    @property
    def audit(self) -> AuditLog:
        """The audit log decisions are recorded in."""
        with self._audit_lock:
            if self._audit is None:
                self._audit = AuditLog(self.store.ensure().audit_path)
            return self._audit

    def close(self) -> None:
        """Close the audit log if the service opened it."""
        with self._audit_lock:
            if self._owns_audit and self._audit is not None:
                self._audit.close()
                self._audit = None

    def thresholds(self, detection: float | None = None, verification: float | None = None,
                   level: str | None = None) -> tuple[float | Level, float]:
        """Thresholds given, else the security level's (given or saved), see :func:`thresholds.decision_thresholds`."""
        return decision_thresholds(self.store, detection, verification, level)

    def run_files(self, paths: Sequence[Path], person: str | None, detection: float | Level,
                  verification: float) -> list[Outcome]:
        """Verify (``person`` given) or identify each image file; every file is read before any is decided."""
        faces = [prepare_file(path) for path in paths]
        return [self.decide([face], str(path), person, detection, verification) for path, face in zip(paths, faces)]

    def decide(self, faces: Sequence[Face], image: str, person: str | None, detection: float | Level,
               verification: float, log: bool = True, liveness: LivenessResult = NOT_CHECKED) -> Outcome:
        """One decision for a burst of faces (a single image is a burst of one), logged unless ``log`` is False
        (with the liveness check's result, for a camera)."""
        started = time.perf_counter()
        crops = np.stack([f.pixels for f in faces])
        try:
            if person is None:
                identification = self.verifier.identify(crops, detection, verification)
                decision = identification.decisions[0] if identification.decisions else None
            else:
                identification, decision = None, self.verifier.verify(person, crops, detection, verification)
        except DamagedModelError as exc:
            if log:
                self._log_error(image, person, detection, verification, str(exc))
            raise
        outcome = Outcome(image, decision, identification, any(f.face_found for f in faces),
                          time.perf_counter() - started)
        if log:
            self.log(outcome, faces[0], liveness)
        return outcome

    def log(self, outcome: Outcome, face: Face, liveness: LivenessResult = NOT_CHECKED) -> None:
        """Record an outcome in the audit log (with ``face``'s crop if it failed and the setting is on)."""
        d = outcome.decision
        keep_crop = not outcome.accepted and self.store.setting("log_failed_crops")
        self.audit.record(AuditEntry(
            kind=outcome.kind, person=outcome.person, verified=outcome.accepted,
            share=d.share if d else 0.0, mean_score=d.mean_score if d else 0.0,
            detection_threshold=d.detection_threshold if d else 0.0,
            verification_threshold=d.verification_threshold if d else 0.0,
            model_version=d.model_version if d else "", source=self.source, image=outcome.image,
            crop=encode_png(face.pixels) if keep_crop else None,
            candidate=d.person if d and outcome.identification and not outcome.accepted else None,
            liveness=liveness.audit_value, liveness_reason=liveness.reason if liveness.checked else "",
            level=d.level if d else CUSTOM_LEVEL,
            model_trained=model_trained(self.store) if d and not d.model_version.startswith("shipped-") else "",
        ), self.store.has_person)

    def log_refusal(self, image: str, person: str | None, detection: float | Level, verification: float,
                    liveness: LivenessResult) -> None:
        """Record an attempt that the liveness check refused before anything was scored."""
        self.audit.record(AuditEntry(
            kind="verify" if person else "identify", person=person or "unknown", verified=False, share=0.0,
            mean_score=0.0, verification_threshold=verification, model_version="", source=self.source, image=image,
            liveness=liveness.audit_value, liveness_reason=liveness.reason, **_unscored(detection)),
            self.store.has_person)

    def _log_error(self, image: str, person: str | None, detection: float | Level, verification: float,
                   error: str) -> None:
        """Record an attempt that could not be decided (a damaged model) as an error, without its crop."""
        self.audit.record(AuditEntry(
            kind="identify" if person is None else "verify", person=person or "unknown", verified=False, share=0.0,
            mean_score=0.0, verification_threshold=verification, model_version=model_version(self.store) or "",
            source=self.source, image=image, error=error, model_trained=model_trained(self.store),
            **_unscored(detection)), self.store.has_person)


def _unscored(detection: float | Level) -> dict:
    """The audit fields of an attempt never scored: its fixed detection threshold, or its level (threshold 0)."""
    if isinstance(detection, Level):
        return {"detection_threshold": 0.0, "level": detection.name}
    return {"detection_threshold": detection, "level": CUSTOM_LEVEL}
