"""TensorFlow, imported once without its start-up chatter on stderr.

TensorFlow's C++ layers print CUDA-probe and CPU-feature notices before any log setting applies;
on a machine without a GPU they would bury the one-line messages users need. They are filtered
out while TensorFlow loads and finds its devices; anything else it prints is passed on.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator

_NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cpu_feature_guard|To enable the following instructions|cuda_platform|"
    r"cuInit|Could not find cuda|cuda_executor|cuda_dnn|cuda_fft|cuda_blas|computation placer|"
    r"oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS"
)


@contextlib.contextmanager
def _filtered_stderr() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file, then replay the lines that are not known noise."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. a GUI without a console)
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _NOISE.search(line):
                    logging.getLogger(__name__).warning("TensorFlow: %s", line)


with _filtered_stderr():
    import tensorflow as tf  # noqa: E402

    tf.config.list_logical_devices()

__all__ = ["tf"]
