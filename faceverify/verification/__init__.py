"""Deciding: the share rule, thresholds, the verifier, the decision service, verdicts and metrics.
May import: faceverify.model, faceverify.liveness, faceverify.capture, faceverify.home, faceverify.faces,
faceverify.files."""
