"""`python -m export`: export a training run as a gated, versioned SavedModel, or list versions.

    python -m export --run-dir runs/cnn --model-base-path models/mnist [--version N]
                     [--min-accuracy X] [--max-regression PP] [--force] [--if-none-published]
                     [--calibration-digits N]
    python -m export --list --model-base-path models/mnist

Exit codes: 0 published (or nothing to do), 1 error, 2 bad arguments, 3 refused by the gate.
"""

import argparse
import logging
import sys
from pathlib import Path

from contract.versions import existing_version_message, published_versions
from export.errors import ExportError, GateRefusedError
from export.gate import DEFAULT_MAX_REGRESSION_PP, DEFAULT_MIN_ACCURACY
from export.held_out_renders import DIGITS_PER_STYLE
from export.listing import version_table
from export.run import read_run
from training.quiet import import_tensorflow

EXIT_ERROR = 1
EXIT_GATE_REFUSED = 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", required=True, help="e.g. models/mnist")
    parser.add_argument("--list", action="store_true", help="print the published versions")
    parser.add_argument("--run-dir", help="training run directory, e.g. runs/cnn")
    parser.add_argument("--version", type=int, help="version to publish (default: highest + 1)")
    parser.add_argument(
        "--min-accuracy",
        type=float,
        default=DEFAULT_MIN_ACCURACY,
        help="refuse below this held-out accuracy, a fraction 0..1 (default %(default)s)",
    )
    parser.add_argument(
        "--max-regression",
        type=float,
        default=DEFAULT_MAX_REGRESSION_PP,
        help="refuse when more than this many percentage points below the best published "
        "version on the same data (default %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="publish even if the gate refuses")
    parser.add_argument(
        "--calibration-digits",
        type=int,
        default=DIGITS_PER_STYLE,
        help="held-out digits rendered per upload style to calibrate the judge "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--if-none-published",
        action="store_true",
        help="do nothing when the base path already holds a version (used by `make demo`)",
    )
    args = parser.parse_args(argv)
    if not args.list and not args.run_dir:
        parser.error("--run-dir is required (or --list)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if problem := base_path_problem(Path(args.model_base_path), args.list):
        return fail(problem)
    if args.list:
        print(version_table(args.model_base_path))
        return 0
    # Cheap checks before TensorFlow is imported (the authoritative ones happen at publish).
    if args.if_none_published and (versions := published_versions(args.model_base_path)):
        print(f"{args.model_base_path} already holds version(s) {versions}; nothing exported")
        return 0
    if args.version is not None and (
        message := existing_version_message(args.model_base_path, args.version)
    ):
        return fail(message)
    try:
        read_run(args.run_dir)  # a missing or incomplete run directory, said before TensorFlow
    except ExportError as exc:
        return fail(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tensorflow").setLevel(logging.WARNING)  # "Assets written to ..."
    try:
        import_tensorflow()
    except ImportError as exc:  # the base install: clients and gateway only
        return fail(f"{exc.name or 'tensorflow'} is not installed: pip install '.[tf]'")
    from export.publish import publish_run

    try:
        version = publish_run(
            args.run_dir,
            args.model_base_path,
            version=args.version,
            min_accuracy=args.min_accuracy,
            max_regression=args.max_regression,
            force=args.force,
            calibration_digits=args.calibration_digits,
        )
    except GateRefusedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_GATE_REFUSED
    except ExportError as exc:
        return fail(str(exc))
    except OSError as exc:  # the base path cannot be written
        return fail(f"cannot write {exc.filename or args.model_base_path}: {exc.strerror or exc}")
    print(f"published version {version} in {args.model_base_path}")
    return 0


def base_path_problem(base: Path, listing: bool) -> str | None:
    """A base path that is a file, or (to list) does not exist; None when usable."""
    for path in (base, *base.parents):
        if path.exists() and not path.is_dir():
            return f"--model-base-path {base}: {path} is a file, not a directory"
    if listing and not base.exists():
        return f"--model-base-path {base}: no such directory"
    return None


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
