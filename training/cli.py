"""Command line: python -m training --model cnn --run-dir runs/cnn --seed 1."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from contract.run_dir import LOGS_DIR, RUN_FILE
from training.config import (
    AUGMENT_DEFAULT,
    CORRUPTED_DEFAULT,
    DEFAULTS,
    MODEL_KINDS,
    NON_DIGITS_DEFAULT,
    TrainConfig,
    is_finished,
)
from training.data import DATA_DIR_ENV, DATASETS, DataError, resolve_data_dir

log = logging.getLogger("training")


def parser() -> argparse.ArgumentParser:
    defaults = ", ".join(
        f"{kind}: {d.epochs} epochs, batch {d.batch_size}, lr {d.learning_rate}"
        for kind, d in DEFAULTS.items()
    )
    p = argparse.ArgumentParser(
        prog="python -m training",
        description=f"Train an MNIST model into a run directory. Defaults per model: {defaults}.",
    )
    p.add_argument("--model", choices=MODEL_KINDS, default="cnn", help="default: cnn")
    p.add_argument("--epochs", type=int, help="default depends on --model")
    p.add_argument("--batch-size", type=int, help="default depends on --model")
    p.add_argument("--learning-rate", type=float, help="peak learning rate (cosine schedule)")
    p.add_argument("--dataset", choices=DATASETS, default="auto", help="default: auto")
    p.add_argument("--data-dir", help=f"IDX files or mnist.npz (default: ${DATA_DIR_ENV})")
    p.add_argument("--run-dir", type=Path, required=True, help="e.g. runs/cnn")
    p.add_argument("--seed", type=int, default=0, help="same seed, same model (default: 0)")
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="training-time augmentation: pen width, slant, rotation, elastic distortion, "
        "scale, shift, blur (default: on for cnn, off for linear and mlp)",
    )
    p.add_argument(
        "--non-digits",
        type=int,
        default=NON_DIGITS_DEFAULT,
        help="marks that are no digit to draw for the model's 'no digit' class, about half "
        f"kept (default: {NON_DIGITS_DEFAULT}; 0: none, and digit_score is always near 1)",
    )
    p.add_argument(
        "--corrupted",
        type=int,
        default=CORRUPTED_DEFAULT,
        help="damaged copies of the training digits (noise, lines, blur, edges, low "
        "resolution, broken strokes) read as uploads and learned as their digit "
        f"(default: {CORRUPTED_DEFAULT}; 0: none)",
    )
    p.add_argument(
        "--reuse",
        action="store_true",
        help="if --run-dir already holds a finished run, keep it and exit successfully",
    )
    return p


def config_from(args: argparse.Namespace, p: argparse.ArgumentParser) -> TrainConfig:
    defaults = DEFAULTS[args.model]
    config = TrainConfig(
        model=args.model,
        run_dir=args.run_dir,
        epochs=defaults.epochs if args.epochs is None else args.epochs,
        batch_size=defaults.batch_size if args.batch_size is None else args.batch_size,
        learning_rate=defaults.learning_rate if args.learning_rate is None else args.learning_rate,
        seed=args.seed,
        dataset=args.dataset,
        data_dir=args.data_dir,
        augment=AUGMENT_DEFAULT[args.model] if args.augment is None else args.augment,
        non_digits=args.non_digits,
        corrupted=args.corrupted,
    )
    if config.epochs < 1:
        p.error(f"--epochs must be at least 1, got {config.epochs}")
    if config.batch_size < 1:
        p.error(f"--batch-size must be at least 1, got {config.batch_size}")
    if not config.learning_rate > 0:
        p.error(f"--learning-rate must be positive, got {config.learning_rate}")
    if config.non_digits < 0:
        p.error(f"--non-digits must be non-negative, got {config.non_digits}")
    if config.corrupted < 0:
        p.error(f"--corrupted must be non-negative, got {config.corrupted}")
    if config.seed < 0:
        p.error(f"--seed must be non-negative, got {config.seed}")
    if args.data_dir and args.dataset not in ("auto", "dir"):
        p.error(f"--data-dir is only read by --dataset dir or auto, not {args.dataset}")
    return config


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = config_from(args, p)
    if is_finished(config.run_dir):
        if args.reuse:
            log.info("%s already holds a finished run: reusing it (--reuse)", config.run_dir)
            return 0
        p.error(
            f"--run-dir {config.run_dir} already holds a finished run ({RUN_FILE}); "
            "choose another directory, delete it, or pass --reuse"
        )
    if problem := mistake(config):
        return fail(problem)
    # TensorFlow only now: --help and the mistakes above answer at once.
    from training.quiet import import_tensorflow

    try:
        import_tensorflow()
    except ImportError as exc:  # the base install: clients and gateway only
        return fail(f"{exc.name or 'tensorflow'} is not installed: pip install '.[tf]'")
    from training.train import train

    try:
        document = train(config)
    except DataError as exc:
        return fail(f"MNIST data: {exc}")
    except OSError as exc:  # the run directory cannot be written
        return fail(f"cannot write {exc.filename or config.run_dir}: {exc.strerror or exc}")
    log.info("run written to %s (%.0f s of training)", config.run_dir, document["train_seconds"])
    log.info(
        "curves and figures in %s: `make tensorboard` shows every run under runs/",
        config.run_dir / LOGS_DIR,
    )
    return 0


def mistake(config: TrainConfig) -> str | None:
    """What is wrong with the paths, found before minutes of work start; None if nothing."""
    for path in (config.run_dir, *config.run_dir.parents):
        if path.exists() and not path.is_dir():
            return f"--run-dir {config.run_dir}: {path} is a file, not a directory"
    data_dir = resolve_data_dir(config.data_dir)
    if config.dataset in ("auto", "dir") and data_dir and not Path(data_dir).is_dir():
        return f"MNIST data: {data_dir}: MNIST data directory not found"
    if config.dataset == "dir" and not data_dir:
        return f"MNIST data: dataset 'dir' needs --data-dir or the {DATA_DIR_ENV} variable"
    return None


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1
