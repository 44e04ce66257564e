"""Cameras and the live feed: frames read on their own thread, the face tracked on another (no Qt).
May import: faceverify.faces, faceverify.files, faceverify.errors."""
