"""Versioned publish: numbering, never overwriting, the gate through the CLI, --force."""

import errno
import json
from pathlib import Path

import pytest

import export.publish
from export.__main__ import EXIT_ERROR, EXIT_GATE_REFUSED, main
from export.errors import ExportError, GateRefusedError, RunDirError, VersionExistsError
from export.metadata import read_metadata, sha256_file
from export.publish import claim_version, publish_run, published_versions
from tests.export.helpers import copy_base_path, staging_folders, untrained_run
from tests.fixtures.models import export_cli


def test_next_version_and_explicit_version(
    published_model: Path, trained_run: Path, tmp_path: Path
) -> None:
    base = copy_base_path(published_model, tmp_path)
    # highest + 1 from 1 is covered by the concurrency test (2 and 3).
    assert publish_run(trained_run, base, version=7) == 7
    assert publish_run(trained_run, base) == 8
    assert published_versions(base) == [1, 7, 8]
    for version in (7, 8):
        metadata = read_metadata(base / str(version))
        assert metadata is not None and metadata["version"] == version
    assert staging_folders(base) == []


def test_existing_version_is_never_overwritten(
    published_model: Path, trained_run: Path, tmp_path: Path
) -> None:
    base = copy_base_path(published_model, tmp_path)
    before = sha256_file(base / "1" / "saved_model.pb")
    result = export_cli(trained_run, base, "--version", "1")
    assert result.returncode == EXIT_ERROR
    assert "version 1 already exists" in result.stderr
    with pytest.raises(VersionExistsError, match="version 1 already exists"):
        publish_run(trained_run, base, version=1)
    assert sha256_file(base / "1" / "saved_model.pb") == before
    assert published_versions(base) == [1]
    assert staging_folders(base) == []


def test_lost_race_takes_the_next_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "mnist"
    for version in (1, 2):
        (base / str(version)).mkdir(parents=True)
        (base / str(version) / "saved_model.pb").write_text(f"version {version}")
    staging = base / ".staging-test"
    staging.mkdir()
    (staging / "saved_model.pb").write_text("new")
    # The first listing is stale, as when another export renamed into 2 a moment ago.
    listings = iter([[1], [1, 2]])
    monkeypatch.setattr(export.publish, "published_versions", lambda _base: next(listings))
    finalized: list[int] = []

    assert claim_version(staging, base, None, finalized.append) == 3
    assert finalized == [2, 3]
    assert (base / "2" / "saved_model.pb").read_text() == "version 2"
    assert (base / "3" / "saved_model.pb").read_text() == "new"
    assert not staging.exists()


def test_claiming_a_taken_explicit_version_fails(tmp_path: Path) -> None:
    base = tmp_path / "mnist"
    (base / "4").mkdir(parents=True)
    (base / "4" / "saved_model.pb").write_text("old")
    staging = base / ".staging-test"
    staging.mkdir()
    (staging / "saved_model.pb").write_text("new")
    with pytest.raises(VersionExistsError) as info:
        claim_version(staging, base, 4, lambda _version: None)
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno in (errno.ENOTEMPTY, errno.EEXIST)
    assert (base / "4" / "saved_model.pb").read_text() == "old"


def cli(run_dir: Path, base: Path, *args: str) -> int:
    """The CLI's main() in this process: same code as `python -m export`, no TF start-up."""
    return main(["--run-dir", str(run_dir), "--model-base-path", str(base), *args])


def test_gate_refuses_below_min_accuracy_with_a_nonzero_exit(
    published_model: Path, trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = copy_base_path(published_model, tmp_path)
    accuracy = read_metadata(base / "1")["evaluation"]["accuracy"]  # type: ignore[index]
    assert cli(trained_run, base, "--min-accuracy", "0.999") == EXIT_GATE_REFUSED
    stderr = capsys.readouterr().err
    assert f"accuracy {accuracy:.4f} is below the minimum 0.9990" in stderr
    assert published_versions(base) == [1]
    assert staging_folders(base) == []


def test_gate_refuses_a_regression_against_the_published_version(
    published_model: Path, trained_run: Path, tmp_path: Path
) -> None:
    base = copy_base_path(published_model, tmp_path)
    best = read_metadata(base / "1")["evaluation"]["accuracy"]  # type: ignore[index]
    worse = untrained_run(trained_run, tmp_path)
    with pytest.raises(GateRefusedError) as refused:
        publish_run(worse, base, min_accuracy=0.0)
    message = str(refused.value)
    assert "percentage points below published version 1" in message
    assert f"({best:.4f})" in message
    candidate = float(message.split("accuracy ")[1].split(" ")[0])
    assert candidate < best - 0.005
    assert published_versions(base) == [1]
    assert staging_folders(base) == []


def test_force_publishes_a_refused_model_and_records_it(
    published_model: Path, trained_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = copy_base_path(published_model, tmp_path)
    best = read_metadata(base / "1")["evaluation"]["accuracy"]  # type: ignore[index]
    worse = untrained_run(trained_run, tmp_path)
    assert cli(worse, base, "--min-accuracy", "0", "--force") == 0
    assert "despite the gate (--force)" in caplog.text
    assert published_versions(base) == [1, 2]
    metadata = read_metadata(base / "2")
    assert metadata is not None
    assert metadata["forced"] is True
    assert metadata["gate"]["passed"] is False
    assert metadata["gate"]["refusals"]
    assert metadata["gate"]["best_published_version"] == 1
    assert metadata["gate"]["best_published_accuracy"] == pytest.approx(best)


def test_if_none_published_does_nothing_on_a_populated_base(
    published_model: Path, trained_run: Path, tmp_path: Path
) -> None:
    base = copy_base_path(published_model, tmp_path)
    result = export_cli(trained_run, base, "--if-none-published")
    assert result.returncode == 0, result.stderr
    assert "nothing exported" in result.stdout
    assert published_versions(base) == [1]


@pytest.mark.parametrize(
    ("kwargs", "limit"),
    [
        ({"version": 0}, "--version must be a positive integer"),
        ({"min_accuracy": 95.0}, "--min-accuracy is a fraction between 0 and 1"),
        ({"max_regression": -1.0}, "--max-regression is in percentage points"),
    ],
)
def test_bad_arguments_name_the_limit(
    trained_run: Path, tmp_path: Path, kwargs: dict[str, float], limit: str
) -> None:
    with pytest.raises(ExportError, match=limit):
        publish_run(trained_run, tmp_path / "mnist", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "mnist").exists()


def test_incomplete_run_dir_names_the_missing_file(trained_run: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"model": "cnn"}))
    with pytest.raises(RunDirError, match=r"evaluation\.json: missing"):
        publish_run(run_dir, tmp_path / "mnist")
    with pytest.raises(RunDirError, match="run directory not found"):
        publish_run(tmp_path / "nowhere", tmp_path / "mnist")


def test_a_broken_published_version_is_skipped_by_the_gate_with_a_warning(
    published_model: Path, trained_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = copy_base_path(published_model, tmp_path)
    (base / "5").mkdir()
    (base / "5" / "saved_model.pb").write_bytes(b"not a SavedModel")
    assert publish_run(trained_run, base) == 6
    assert "version 5" in caplog.text and "not evaluated" in caplog.text
    gate = read_metadata(base / "6")["gate"]  # type: ignore[index]
    assert gate["best_published_version"] == 1
