"""The home folder on disk: enrolled people, negatives, settings (one typed table), the audit log, the operator
password, and the journal that makes every change to it all or nothing.
It knows nothing of models or decisions. May import: faceverify.faces, faceverify.files, faceverify.errors."""
