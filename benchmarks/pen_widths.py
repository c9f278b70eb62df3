"""Accuracy by pen width: where the upload styles pen_thick and pen_thin lose their digits.

    .venv/bin/python -m benchmarks.pen_widths --model-dir models/mnist/1

Each official test digit is written in black ink on white (reader/styles.py, render_pen) at
each `--thickness` and at 1, in times MNIST's stroke (pen_thick draws 1.8 to 2.4, pen_thin
0.3 to 0.45), at the same size and place for every width. Each file is preprocessed as the
gateway does and classified by the SavedModel. Per width it prints the stroke width measured
on the files, relative to thickness 1 (ink area over outline length), the accuracy, and its
difference to plain PNGs of the same digits (the upload goal: within 1 point).
"""

from __future__ import annotations

import argparse
import io
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.output import add_output, progress, write_json
from benchmarks.upload_accuracy import (
    DEFAULT_DATA_DIR,
    Task,
    chunk_rng,
    chunks,
    model_input,
    official_digits,
    require_saved_model,
    run_task,
    saved_model_classifier,
)
from reader.styles import pen_size, render_pen

THICKNESSES = (0.3, 0.45, 1.0, 1.4, 1.8, 2.1, 2.4)
CHUNK = 250
MEASURED = 10  # files per chunk whose stroke width is measured


def stroke_width(data: bytes, side: int) -> float:
    """Twice the ink's area over its outline's length, in 28 px digit units."""
    ink = np.asarray(Image.open(io.BytesIO(data)).convert("L")) < 128
    outline = (
        np.logical_xor(ink[1:], ink[:-1]).sum() + np.logical_xor(ink[:, 1:], ink[:, :-1]).sum()
    )
    return float(2 * ink.sum() / max(outline, 1) * 28 / side)


def pen_chunk(job: tuple[float, int, np.ndarray]) -> tuple[np.ndarray, list[float]]:
    """Model inputs of one chunk at one thickness, and the stroke widths of its first files.
    The generator is seeded by the chunk alone: every width gets the same sizes and places."""
    thickness, index, digits = job
    rng = chunk_rng("pen", index)
    inputs: list[np.ndarray] = []
    widths: list[float] = []
    for digit in digits:
        side = pen_size(rng)
        data = render_pen(digit, side, thickness, rng)
        inputs.append(model_input(data))
        if len(widths) < MEASURED:
            widths.append(stroke_width(data, side))
    return np.stack(inputs), widths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="MNIST test IDX")
    parser.add_argument("--limit", type=int, help="the first N test digits only")
    parser.add_argument(
        "--thickness", type=float, nargs="+", default=THICKNESSES, help="times MNIST's stroke"
    )
    parser.add_argument("--jobs", type=int, default=2)
    add_output(parser, "pen_widths")
    args = parser.parse_args(argv)
    require_saved_model(args.model_dir)
    images, labels = official_digits(args.data_dir, args.limit)
    parts = list(enumerate(chunks(images, CHUNK)))
    classify = saved_model_classifier(args.model_dir)

    def accuracy(inputs: np.ndarray) -> float:
        return float(np.mean(classify(inputs)[0][:, :10].argmax(axis=1) == labels))

    with ProcessPoolExecutor(args.jobs) as pool:
        progress(f"plain: rendering and classifying {len(labels):,} digits ...")
        tasks = [Task("plain", i, part, files=False, inputs=True, reads=False) for i, part in parts]
        plain = accuracy(np.concatenate([done.inputs for done in pool.map(run_task, tasks)]))
        print(f"{len(labels):,} test digits; plain PNGs {plain:.2%}")
        print(f"{'thickness':>9} {'measured':>9} {'accuracy':>9} {'vs plain':>9}")
        rows = []
        for thickness in sorted({*args.thickness, 1.0}):  # 1: MNIST's width, the measure's unit
            progress(f"pen {thickness}: rendering and classifying {len(labels):,} digits ...")
            done = list(pool.map(pen_chunk, [(thickness, i, part) for i, part in parts]))
            score = accuracy(np.concatenate([inputs for inputs, _ in done]))
            width = float(np.median([w for _, widths in done for w in widths]))
            rows.append({"thickness": thickness, "width": width, "accuracy": score})
    mnist = next(r["width"] for r in rows if r["thickness"] == 1.0)
    for row in rows:
        points = 100 * (row["accuracy"] - plain)
        relative = f"{row['width'] / mnist:.2f}×"
        print(f"{row['thickness']:9.2f} {relative:>9} {row['accuracy']:9.2%} {points:+9.2f}")
    document = {"digits": len(labels), "plain": plain, "mnist_width": mnist, "pens": rows}
    write_json(args.output, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
