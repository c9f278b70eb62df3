"""Fixtures of the client tests: real sample digits, and a text file posing as a PNG."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.samples import write_samples


@pytest.fixture
def text(tmp_path: Path) -> Path:
    """A file named like a PNG that holds text: the image every command must refuse."""
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    return path


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Ten plain digits and ten on paper: real held-out MNIST digits."""
    out = tmp_path_factory.mktemp("samples")
    return write_samples(out / "plain", 10, "plain") + write_samples(out / "paper", 10, "paper")
