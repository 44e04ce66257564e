"""Errors a user can cause: each carries one clear, user-facing message."""


class FaceverifyError(Exception):
    """Base class: the message is shown to the user as it is (one line, no traceback)."""


class InvalidNameError(FaceverifyError):
    """A person's name that is empty, too long, or would escape its folder."""


class UnknownPersonError(FaceverifyError):
    """A person who is not enrolled."""


class ImageError(FaceverifyError):
    """A file that is missing, unreadable, or not an image."""


class ModelError(FaceverifyError):
    """No model yet, or a model file that cannot be loaded."""


class DatasetError(FaceverifyError):
    """An LFW archive or folder that is not LFW, is cut short, or holds nothing usable."""


class CameraError(FaceverifyError):
    """A camera that does not open or stops delivering frames."""
