"""Atomic publish: a watcher of the base path only ever sees complete versions, and two
exports running at once end with two distinct, complete versions."""

import os
import subprocess
import sys
import threading
from pathlib import Path

from contract.versions import published_versions
from export.metadata import read_metadata, sha256_file
from tests.export.helpers import copy_base_path, staging_folders
from tests.fixtures.models import CALIBRATION_DIGITS, QUIET_TF, REPO_ROOT

POLL_SECONDS = 0.002


def incomplete_reason(version_dir: Path) -> str | None:
    """Why a numeric folder is not a complete version, or None when it is complete."""
    for required in (
        "saved_model.pb",
        "variables/variables.index",
        "assets.extra/tf_serving_warmup_requests",
    ):
        if not (version_dir / required).is_file():
            return f"{version_dir.name}: {required} missing"
    metadata = read_metadata(version_dir)
    if metadata is None:
        return f"{version_dir.name}: metadata.json missing or unreadable"
    if metadata["version"] != int(version_dir.name):
        return f"{version_dir.name}: metadata says version {metadata['version']}"
    if metadata["saved_model_sha256"] != sha256_file(version_dir / "saved_model.pb"):
        return f"{version_dir.name}: saved_model.pb checksum mismatch"
    return None


class Watcher(threading.Thread):
    """Polls the base path like a model server and records every incomplete version seen."""

    def __init__(self, base: Path) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.checked: set[int] = set()
        self.polls = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.polls += 1
            for version in published_versions(self.base):
                if version in self.checked:
                    continue
                reason = incomplete_reason(self.base / str(version))
                if reason:
                    self.problems.append(reason)
                self.checked.add(version)
            self.stop.wait(POLL_SECONDS)


def test_concurrent_exports_give_distinct_complete_versions_to_a_watcher(
    published_model: Path, trained_run: Path, tmp_path: Path
) -> None:
    base = copy_base_path(published_model, tmp_path)
    watcher = Watcher(base)
    watcher.start()
    command = [
        sys.executable,
        *("-m", "export", "--run-dir", str(trained_run), "--model-base-path", str(base)),
        *("--calibration-digits", str(CALIBRATION_DIGITS)),
    ]
    processes = [
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **QUIET_TF},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        outputs = [process.communicate(timeout=600) for process in processes]
    finally:
        for process in processes:
            process.kill()
        watcher.stop.set()
        watcher.join()

    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    assert published_versions(base) == [1, 2, 3]
    assert sorted(out.split()[2] for out, _ in outputs) == ["2", "3"]  # "published version N"
    assert watcher.problems == []
    assert watcher.checked == {1, 2, 3}
    assert watcher.polls > 10
    assert all(incomplete_reason(base / str(version)) is None for version in (2, 3))
    assert staging_folders(base) == []
