"""What counts as a version: integer folders only, as TF Serving sees a model base path."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.versions import existing_version_message, published_versions, version_dirs


def test_only_integer_folders_are_versions(tmp_path: Path) -> None:
    for name in ("1", "7", "12", ".staging-abc", "v2", "٣", "latest"):
        (tmp_path / name).mkdir()
    (tmp_path / "3").write_text("a plain file named like a version")
    assert version_dirs(tmp_path) == {1: tmp_path / "1", 7: tmp_path / "7", 12: tmp_path / "12"}
    assert published_versions(tmp_path) == [1, 7, 12]


def test_a_missing_base_path_has_no_versions(tmp_path: Path) -> None:
    assert version_dirs(tmp_path / "nowhere") == {}
    (tmp_path / "file").write_text("")
    assert published_versions(tmp_path / "file") == []


def test_an_existing_version_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "2").mkdir()
    assert "never overwritten" in (existing_version_message(tmp_path, 2) or "")
    assert existing_version_message(tmp_path, 3) is None


def test_without_missing_ok_an_unlistable_base_path_says_why(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        version_dirs(tmp_path / "nowhere", missing_ok=False)
