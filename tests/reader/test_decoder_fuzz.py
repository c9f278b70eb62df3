"""Fuzzing the decoder: truncated and mutated files of every accepted format either become
the model's input or raise an ImageError (a 4xx at the gateway), never anything else.

The cases are seeded (benchmarks/hostile_images.py), so a failure names a case that
fails again; the count is bounded so the test runs in seconds.
"""

from __future__ import annotations

import numpy as np

from benchmarks.hostile_images import cases, seed_files
from reader.preprocessing import ImageError, preprocess

CASES_PER_SEED = 400


def outcome(data: bytes) -> str:
    """ "ok", an ImageError's code, or the unexpected exception's repr (a failure)."""
    try:
        field = preprocess(data)
    except ImageError as error:
        return error.code
    except Exception as exc:
        return f"unexpected {exc!r}"
    return "ok" if field.shape == (28, 28) and np.isfinite(field).all() else "bad output"


def test_every_seed_file_decodes() -> None:
    results = {name: outcome(data) for name, data in seed_files().items()}
    assert results == dict.fromkeys(results, "ok")


def test_damaged_files_raise_only_image_errors() -> None:
    results = {name: outcome(data) for name, data in cases(CASES_PER_SEED)}
    failures = {name: r for name, r in results.items() if r.startswith(("unexpected", "bad"))}
    first = dict(list(failures.items())[:5])
    assert not failures, f"{len(failures)} of {len(results)} cases, first: {first}"
    assert len(results) == CASES_PER_SEED * len(seed_files())
    refused = sum(r != "ok" for r in results.values())
    assert refused > len(results) // 4  # the mutations do damage: the test can fail
