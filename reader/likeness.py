"""How much a 28×28 field looks like an MNIST digit, whatever digit: the part of it that the
principal components of real MNIST digits cannot explain.

The components come from the 500 digits bundled in `contract/data/held_out_digits.npz`
(computed once, on first use, in a few milliseconds). A digit drawn by anyone lies close
to their span; a scribble, a letter, a blob or noise leaves much of itself outside.

    distance(field)  # 0 (an MNIST digit's shape) .. 1 (nothing in common), float
"""

from __future__ import annotations

from functools import cache

import numpy as np

from contract.digits import load_bundled

COMPONENTS = 24  # principal components kept: 500 digits, most of their variance in the first 24


@cache
def basis() -> tuple[np.ndarray, np.ndarray]:
    """Mean and principal directions [COMPONENTS, 784] of the bundled digits (0..1)."""
    digits = load_bundled().images.reshape(-1, 28 * 28).astype(np.float64) / 255.0
    mean = digits.mean(axis=0)
    _, _, directions = np.linalg.svd(digits - mean, full_matrices=False)
    return mean, directions[:COMPONENTS]


def distance(field: np.ndarray) -> float:
    """Relative norm of the field's residual outside the MNIST digits' principal span."""
    mean, directions = basis()
    centred = field.reshape(-1).astype(np.float64) - mean
    residual = centred - directions.T @ (directions @ centred)
    return float(np.linalg.norm(residual)) / max(float(np.linalg.norm(field)), 1e-6)
