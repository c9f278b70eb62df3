"""`samples` writes real digits, decodable, named with their labels, in each style."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from client.samples import write_samples
from reader.styles import STYLES
from tests.client.helpers import run_client, true_label

FORMATS = {"png": "PNG", "jpg": "JPEG"}


@pytest.mark.parametrize("style", STYLES)
def test_samples_decode_and_cycle_through_the_digits(tmp_path: Path, style: str) -> None:
    written = write_samples(tmp_path, count=12, style=style)
    assert sorted(written) == sorted(tmp_path.iterdir())
    assert [true_label(path) for path in written] == [*range(10), 0, 1]
    for path in written:
        with Image.open(path) as image:
            assert image.format == FORMATS[path.suffix[1:]]
            # A canvas export has its ink in the alpha channel: composite it onto white.
            white = Image.new("RGBA", image.size, "white")
            flat = Image.alpha_composite(white, image.convert("RGBA"))
            pixels = np.asarray(flat.convert("L"))
        assert pixels.std() > 10, f"{path.name} is blank"


def test_samples_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = write_samples(tmp_path / "a", count=5, style="paper", seed=3)
    second = write_samples(tmp_path / "b", count=5, style="paper", seed=3)
    other = write_samples(tmp_path / "c", count=5, style="paper", seed=4)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]


def test_samples_command_line(tmp_path: Path) -> None:
    result = run_client("samples", "--out", str(tmp_path), "--count", "3", "--style", "photo")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "000-digit-0.jpg",
        "001-digit-1.jpg",
        "002-digit-2.jpg",
    ]
    bad = run_client("samples", "--out", str(tmp_path), "--count", "0")
    assert bad.returncode == 2 and "count must be at least 1" in bad.stderr
