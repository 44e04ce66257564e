"""Safe file primitives: atomic writes, confinement to the home (no links followed), the writer lock, content digests.
May import: faceverify.errors only."""
