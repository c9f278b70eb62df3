"""Real MNIST digits that the served model was not trained on, for samples and benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.data import IDX_NAMES, DataError, Split, load_subset, read_idx

# `make demo` trains with --seed 1: the subset's validation split for that seed is held out.
DEMO_SEED = 1


def load_digits(data_dir: Path | None) -> tuple[Split, str]:
    """The official test set (t10k IDX files) in data_dir, else the held-out subset split."""
    if data_dir is None:
        data = load_subset(seed=DEMO_SEED)
        return data.validation, f"held-out validation split of the {data.description}"
    images = read_idx(_idx_file(data_dir, IDX_NAMES["test_images"]))
    labels = read_idx(_idx_file(data_dir, IDX_NAMES["test_labels"]))
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DataError(
            f"{data_dir}: test images {images.shape} do not match labels {labels.shape}"
        )
    return Split(images.astype(np.uint8), labels.astype(np.int64)), f"MNIST test set in {data_dir}"


def _idx_file(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory}: {name} (raw or .gz) not found")


def pick_balanced(labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Indices of `count` random digits cycling through the classes from `seed % 10`."""
    rng = np.random.default_rng(seed)
    by_class = [rng.permutation(np.flatnonzero(labels == digit)) for digit in range(10)]
    picks = []
    for i in range(count):
        digit = (seed + i) % 10
        picks.append(by_class[digit][(seed % 10 + i) // 10 % len(by_class[digit])])
    return np.array(picks)
