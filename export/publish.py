"""Atomic, versioned publish of a training run into the model base path.

The SavedModel is written into a non-numeric staging folder inside the base path (servers
ignore it), flushed to disk, then renamed to its version number. rename(2) is atomic, and
on Linux it fails when the target is a non-empty directory, so a server polling the base path
only ever sees complete versions, and two exports racing for the same number both end with a
version of their own: the loser takes the next number.
"""

import contextlib
import errno
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import keras

from contract.versions import (
    EXTRAS_DIR,
    STAGING_PREFIX,
    WARMUP_FILE,
    existing_version_message,
    published_versions,
    version_dirs,
)
from export.calibration import Calibrated, calibrate
from export.errors import ExportError, GateRefusedError, VersionExistsError
from export.gate import (
    DEFAULT_MAX_REGRESSION_PP,
    DEFAULT_MIN_ACCURACY,
    GateResult,
    judge,
    published_accuracies,
    saved_model_accuracy,
)
from export.held_out_renders import DIGITS_PER_STYLE
from export.metadata import build_metadata, write_metadata
from export.run import HeldOut, TrainingRun, held_out_data, read_run
from export.signatures import write_saved_model
from export.warmup import WARMUP_BATCH_SIZES, write_warmup_file

MAX_CLAIM_ATTEMPTS = 100

log = logging.getLogger(__name__)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file, then every directory (deepest first), so the rename publishes data."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            _fsync_path(Path(dirpath) / name)
        _fsync_path(Path(dirpath))


def claim_version(
    staging: Path, base: Path, requested: int | None, finalize: Callable[[int], None]
) -> int:
    """Rename `staging` to the requested or next free version; returns the version taken.

    `finalize(version)` runs (and must flush) before each attempt, as the metadata records the
    version number, which may change when another export wins the race for it.
    """
    for _attempt in range(MAX_CLAIM_ATTEMPTS):
        version = (
            requested if requested is not None else max(published_versions(base), default=0) + 1
        )
        finalize(version)
        try:
            os.rename(staging, base / str(version))
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            if requested is not None:
                message = existing_version_message(base, version) or f"version {version} is taken"
                raise VersionExistsError(message) from exc
            log.info("version %d was taken meanwhile; trying the next one", version)
            continue
        _fsync_path(base)
        return version
    raise ExportError(f"no free version in {base} after {MAX_CLAIM_ATTEMPTS} attempts")


def _check_arguments(version: int | None, min_accuracy: float, max_regression: float) -> None:
    if version is not None and version < 1:
        raise ExportError(f"--version must be a positive integer, got {version}")
    if not 0.0 <= min_accuracy <= 1.0:
        raise ExportError(f"--min-accuracy is a fraction between 0 and 1, got {min_accuracy}")
    if max_regression < 0:
        raise ExportError(f"--max-regression is in percentage points, >= 0, got {max_regression}")


def publish_run(
    run_dir: str | Path,
    model_base_path: str | Path,
    version: int | None = None,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    max_regression: float = DEFAULT_MAX_REGRESSION_PP,
    force: bool = False,
    calibration_digits: int = DIGITS_PER_STYLE,
) -> int:
    """Export, calibrate, gate and publish the model of `run_dir`; returns the version
    published. `calibration_digits`: held-out digits rendered per upload style."""
    _check_arguments(version, min_accuracy, max_regression)
    if calibration_digits < 1:
        raise ExportError(f"--calibration-digits must be at least 1, got {calibration_digits}")
    run = read_run(run_dir)
    base = _prepare_base_path(Path(model_base_path), version)
    data = held_out_data(run)
    model = keras.saving.load_model(run.model_path, compile=False)
    with _staging_folder(base) as staging:
        calibrated = _calibrated_saved_model(model, staging, data, calibration_digits)
        gate = _apply_gate(staging, base, data, min_accuracy, max_regression, force)
        write_warmup_file(
            staging / EXTRAS_DIR / WARMUP_FILE, data.images[: max(WARMUP_BATCH_SIZES)]
        )
        finalize = _metadata_writer(run, gate, calibrated, force, staging)
        published_version = claim_version(staging, base, version, finalize)
    log.info("published version %d in %s", published_version, base)
    return published_version


def _prepare_base_path(base: Path, version: int | None) -> Path:
    """The base path, created if needed; a requested version must not exist yet."""
    base.mkdir(parents=True, exist_ok=True)
    if version is not None and (message := existing_version_message(base, version)):
        raise VersionExistsError(message)
    return base


@contextlib.contextmanager
def _staging_folder(base: Path) -> Iterator[Path]:
    """A fresh non-numeric folder inside `base` (servers ignore it), removed unless renamed."""
    staging = base / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        yield staging
    finally:
        if staging.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)


def _calibrated_saved_model(
    model: keras.Model, staging: Path, data: HeldOut, per_style: int
) -> Calibrated:
    """Write the SavedModel without calibration, measure its own outputs on held-out renders
    (export/calibration.py), then write it into `staging` with the calibration chosen."""
    measured = staging / "uncalibrated"
    write_saved_model(model, measured)
    calibrated = calibrate(measured, data, per_style)
    shutil.rmtree(measured)
    write_saved_model(model, staging, calibrated.calibration)
    log.info(
        "calibration: min_digit_score %.4f, min_margin %.4f (%.1f s)",
        calibrated.calibration.min_digit_score,
        calibrated.calibration.min_margin,
        calibrated.record["seconds"],
    )
    return calibrated


def _apply_gate(
    staging: Path,
    base: Path,
    data: HeldOut,
    min_accuracy: float,
    max_regression: float,
    force: bool,
) -> GateResult:
    """Measure the staged SavedModel and the published versions; refuse unless `force`."""
    accuracy = saved_model_accuracy(staging, data)
    published = published_accuracies(version_dirs(base), data)
    result = judge(accuracy, published, data, min_accuracy, max_regression)
    best = (
        "none"
        if result.best_published_version is None
        else f"version {result.best_published_version} at {result.best_published_accuracy:.4f}"
    )
    log.info(
        "gate: accuracy %.4f on %d held-out images; best published: %s",
        accuracy,
        len(data.labels),
        best,
    )
    if not result.passed:
        if not force:
            raise GateRefusedError("quality gate refused the model: " + "; ".join(result.refusals))
        log.warning("publishing despite the gate (--force): %s", "; ".join(result.refusals))
    return result


def _metadata_writer(
    run: TrainingRun, gate: GateResult, calibrated: Calibrated, forced: bool, staging: Path
) -> Callable[[int], None]:
    """What claim_version runs before each attempt: metadata for that number, flushed."""

    def finalize(candidate: int) -> None:
        metadata = build_metadata(
            version=candidate,
            run_info=run.info,
            run_evaluation=run.evaluation,
            run_dir=run.directory,
            gate=gate.as_dict(),
            calibration=calibrated.record,
            forced=forced,
            saved_model_dir=staging,
        )
        write_metadata(staging, metadata)
        fsync_tree(staging)

    return finalize
