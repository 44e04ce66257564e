"""The desktop app: a PySide6 window over the core (camera, faces, verifier, training, audit log)."""
