"""The versions on disk, in process: what counts as one, fingerprints, the unlistable path."""

import logging
from pathlib import Path

import pytest

from serving.model_server.source import VersionSource, fingerprint


def test_integer_folders_are_versions_and_nothing_else(tmp_path: Path) -> None:
    for name in ("1", "20", "007", ".staging-3", "staging-tmp", "v4", "٣"):
        (tmp_path / name).mkdir()
    (tmp_path / "5").write_text("a file, not a folder")
    found = VersionSource().versions(tmp_path)
    assert sorted(found) == [1, 7, 20]
    assert found[20].path == tmp_path / "20"
    assert found[20].fingerprint == fingerprint(tmp_path / "20")


def test_a_rewritten_folder_changes_its_fingerprint(tmp_path: Path) -> None:
    version = tmp_path / "1"
    version.mkdir()
    before = fingerprint(version)
    assert fingerprint(version) == before  # stable while nothing changes
    (version / "saved_model.pb").write_bytes(b"new model")
    assert fingerprint(version) != before


def test_an_unlistable_base_path_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source, missing = VersionSource(), tmp_path / "mnist"
    with caplog.at_level(logging.WARNING, logger="serving.model_server.source"):
        assert source.versions(missing) == {}
        assert source.versions(missing) == {}  # the next poll: no second warning
        assert source.versions(tmp_path / "other") == {}  # another path: its own warning
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot list base path {missing}: No such file or directory",
        f"cannot list base path {tmp_path / 'other'}: No such file or directory",
    ]

    caplog.clear()
    missing.mkdir()
    assert source.versions(missing) == {}  # listed: forgotten, so a new outage warns again
    missing.rmdir()
    with caplog.at_level(logging.WARNING, logger="serving.model_server.source"):
        source.versions(missing)
    assert len(caplog.records) == 1


def test_a_file_as_base_path_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "mnist").write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="serving.model_server.source"):
        assert VersionSource().versions(tmp_path / "mnist") == {}
    assert "Not a directory" in caplog.text
