"""The pen-width benchmark's command line, its width measure and its files (the measuring
itself needs the official test set and a model: the benchmark is run by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.pen_widths import pen_chunk, stroke_width
from contract.digits import load_bundled
from tests.fixtures.cli import assert_one_line_error, run_cli
from tests.fixtures.images import encode


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.pen_widths", "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, f"no SavedModel in --model-dir {tmp_path}")
    assert not run.imported_tensorflow


def test_a_bar_measures_its_width_in_digit_units() -> None:
    page = np.full((140, 140), 245, dtype=np.uint8)
    page[20:120, 60:70] = 20  # 10 px wide on a 140 px digit: 2 units of a 28 px one
    area, outline = 10 * 100, 2 * (10 + 100)  # the bar's ends shorten it a little
    assert stroke_width(encode(page), side=140) == 2 * area / outline * 28 / 140
    assert stroke_width(encode(page), side=70) == 2 * stroke_width(encode(page), side=140)


def test_broader_pens_measure_broader() -> None:
    digits = load_bundled().images[:8]
    fine, fine_widths = pen_chunk((0.45, 0, digits))
    mnist, mnist_widths = pen_chunk((1.0, 0, digits))
    broad, broad_widths = pen_chunk((2.1, 0, digits))
    assert fine.shape == mnist.shape == broad.shape == (8, 28, 28)
    assert np.median(fine_widths) < 0.8 * np.median(mnist_widths)
    assert np.median(broad_widths) > 2 * np.median(mnist_widths)
