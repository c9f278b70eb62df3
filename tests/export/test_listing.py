"""`python -m export --list`: one row per version with its metadata."""

import json
from pathlib import Path

from export.listing import COLUMNS, version_table
from tests.export.helpers import copy_base_path
from tests.fixtures.models import run_module


def test_list_prints_each_version_with_its_metadata(published_model: Path, tmp_path: Path) -> None:
    base = copy_base_path(published_model, tmp_path)
    (base / "3").mkdir()  # a version from elsewhere, without our metadata
    (base / ".staging-abc").mkdir()  # being written: not a version
    metadata = json.loads((base / "1" / "assets.extra" / "metadata.json").read_text())

    result = run_module("export", "--list", "--model-base-path", str(base))
    assert result.returncode == 0, result.stderr
    table, note = result.stdout.strip().split("\n\n")
    header, *rows = table.splitlines()
    assert header.split()[:3] == list(COLUMNS[:3])
    assert [row.split()[0] for row in rows] == ["1", "3"]
    assert f"{metadata['evaluation']['accuracy'] * 100:.2f}%" in rows[0]
    assert "cnn" in rows[0] and "subset" in rows[0] and "passed" in rows[0]
    assert metadata["saved_model_sha256"][:12] in rows[0]
    assert "(no metadata)" in rows[1]
    assert "staging folders" in note and ".staging-abc" in note


def test_list_of_an_empty_base_path_says_so(tmp_path: Path) -> None:
    assert version_table(tmp_path / "nothing") == f"no published versions in {tmp_path / 'nothing'}"


def test_forced_versions_are_marked(published_model: Path, tmp_path: Path) -> None:
    base = copy_base_path(published_model, tmp_path)
    path = base / "1" / "assets.extra" / "metadata.json"
    metadata = json.loads(path.read_text())
    path.write_text(json.dumps({**metadata, "forced": True, "gate": {"passed": False}}))
    assert "refused (forced)" in version_table(base)
