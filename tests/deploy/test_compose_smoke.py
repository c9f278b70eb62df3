"""`make compose-smoke` in the suite: the images built from the Dockerfiles, the compose stack
up, a prediction, a second version published and rolled out, a restart, and the teardown,
with podman or Docker for real. Skipped only where no container engine can run. The script's
helpers (the digits it sends, the engine probe) are tested without one."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import io
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.deploy.files import REPO

SCRIPT = REPO / "scripts" / "compose_smoke.py"
NO_ENGINE = 4  # the script's exit code when no engine can run
# A cold run builds three TensorFlow-sized images; the script's own steps time out sooner.
TIMEOUT_SECONDS = 3600
PR_SET_PDEATHSIG = 1  # prctl(2)


def _script_module(name: str) -> Any:
    """A module of scripts/ (not a package: the scripts run by path)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test runner dies (killed by a timeout), so the smoke
    run tears its stack down instead of running on alone."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _smoke(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    with subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()  # the script tears down on SIGTERM
            output, _ = process.communicate(timeout=600)
            pytest.fail(f"no end within {timeout} s:\n{output[-8000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def test_the_smoke_sends_one_of_each_bundled_digit_as_a_png():
    from PIL import Image

    from contract.digits import load_bundled

    pngs, labels = _script_module("compose_smoke").sample_digits(count=10)
    bundled = load_bundled()
    assert sorted(labels) == list(range(10)), "one of each digit"
    for png, label in zip(pngs, labels, strict=True):
        pixels = np.asarray(Image.open(io.BytesIO(png)))
        matches = [i for i in range(len(bundled)) if np.array_equal(bundled.images[i], pixels)]
        assert matches and bundled.labels[matches[0]] == label


def test_probe_names_the_missing_engine_and_exits_4(tmp_path):
    """With nothing on PATH, the run stops at once and says why (the skip reason below)."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--probe"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(tmp_path)},
        check=False,
    )
    assert result.returncode == NO_ENGINE, result.stdout + result.stderr
    assert "podman is not installed" in result.stdout
    assert "docker is not installed" in result.stdout


@pytest.mark.containers
def test_compose_stack_builds_serves_rolls_out_and_survives_a_restart(tmp_path):
    probe = _smoke("--probe")
    if probe.returncode == NO_ENGINE:
        pytest.skip(probe.stdout.strip())
    assert probe.returncode == 0, probe.stdout
    report_path = tmp_path / "report.json"
    result = _smoke("--project", "mnist-smoke-test", "--report", str(report_path),
                    timeout=TIMEOUT_SECONDS)  # fmt: skip
    assert result.returncode == 0, result.stdout[-8000:]
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    assert report["failed"] is None
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["predict through the gateway"]["version"] == 1
    assert steps["predict through the gateway"]["accuracy"] >= 0.5
    survived = steps["models volume and rollout state survived"]
    assert survived["stable"] == 2 and survived["answered"] == 2
    sizes = report["figures"]["image_bytes"]
    gateway = next(size for image, size in sizes.items() if "mnist-gateway" in image)
    trainer = next(size for image, size in sizes.items() if "mnist-trainer" in image)
    assert gateway < trainer / 4, "the gateway image holds no TensorFlow"
    assert "tear down (down -v)" in steps
