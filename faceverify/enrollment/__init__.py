"""Bringing faces into the home and taking them out: enroll, import LFW negatives, person archives, removal.
May import: faceverify.home, faceverify.faces, faceverify.files, faceverify.errors."""
