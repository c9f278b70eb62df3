"""`import tensorflow` without its start-up chatter on stderr.

TensorFlow's native libraries write "Could not find cuda drivers" and "oneDNN custom
operations are on" from C++ before its logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot
silence them. During the import, file descriptor 2 goes to a temporary file; afterwards the
lines that are not absl INFO/WARNING records are written to the real stderr, so a genuine
error still shows. TF_CPP_MIN_LOG_LEVEL=3 (unless set) hides the later C++ records of a
machine without a GPU (cuInit failures, op-definition notes); set it to 0 to see them all.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from types import ModuleType

# absl's pre-initialisation banner and its INFO/WARNING records (I1128 ..., W0000 ...).
CHATTER = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|[IW]\d{4} )")


def import_tensorflow() -> ModuleType:
    """`import tensorflow` with the chatter filtered out of stderr; the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            _replay(captured.read().decode(errors="replace"))
    return tensorflow


def _replay(text: str) -> None:
    kept = [line for line in text.splitlines() if line and not CHATTER.match(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
