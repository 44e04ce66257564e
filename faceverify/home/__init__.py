"""The home folder on disk: enrolled people, negatives, settings, the audit log, the operator password.
It knows nothing of models or decisions. May import: faceverify.faces, faceverify.files, faceverify.errors."""
