"""The generated messages are what `python -m serving.tfs_api.generate` makes of the .protos."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_generated_modules_are_up_to_date() -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools (dev extra) regenerates the modules")
    # A subprocess: protoc's bundled libprotobuf crashes next to TensorFlow's in one process.
    check = [sys.executable, "-m", "serving.tfs_api.generate", "--check"]
    result = subprocess.run(check, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
