"""python -m training: see training/cli.py."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) hides the progress lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from training.cli import main

raise SystemExit(main())
