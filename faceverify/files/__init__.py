"""Safe file primitives: the one guarded way to read outside input (inputs), atomic writes, confinement to the home
(no links followed), the writer lock, content digests. May import: faceverify.errors only."""
