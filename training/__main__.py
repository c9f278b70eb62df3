"""python -m training: see training/cli.py (TensorFlow is imported quietly, after parsing)."""

from training.cli import main

raise SystemExit(main())
