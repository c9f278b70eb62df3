"""The gateway stays light: its process never imports TensorFlow (its image has none)."""

from __future__ import annotations

import subprocess
import sys


def test_gateway_process_never_imports_tensorflow() -> None:
    code = (
        "import sys, serving.gateway.main, serving.gateway.predictor, serving.tfs_api.stubs; "
        "serving.gateway.main.create_app(); "
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'tensorflow_serving', 'keras')); "
        "assert not leaked, leaked"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
