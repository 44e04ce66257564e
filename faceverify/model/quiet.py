"""Native libraries' start-up chatter kept off stderr (TensorFlow's and LiteRT's C++ layers print before any
log setting applies); on a machine without a GPU it would bury the one-line messages users need."""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cpu_feature_guard|To enable the following instructions|cuda_platform|"
    r"cuInit|Could not find cuda|cuda_executor|cuda_dnn|cuda_fft|cuda_blas|computation placer|"
    r"oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS|Created TensorFlow Lite XNNPACK delegate"
)


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
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
                if line.strip() and not NOISE.search(line):
                    print(line, file=sys.stderr)
