"""`python -m serving.rollout`: see cli.py."""

import sys

from serving.rollout.cli import main

if __name__ == "__main__":
    sys.exit(main())
