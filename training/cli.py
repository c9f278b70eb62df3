"""Command line: python -m training --model cnn --run-dir runs/cnn --seed 1."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from contract.run_dir import LOGS_DIR, RUN_FILE
from training.data import DATA_DIR_ENV, DATASETS, DataError
from training.models import MODEL_KINDS
from training.train import DEFAULTS, TrainConfig, is_finished, train

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
    )
    if config.epochs < 1:
        p.error(f"--epochs must be at least 1, got {config.epochs}")
    if config.batch_size < 1:
        p.error(f"--batch-size must be at least 1, got {config.batch_size}")
    if not config.learning_rate > 0:
        p.error(f"--learning-rate must be positive, got {config.learning_rate}")
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
    try:
        document = train(config)
    except DataError as exc:
        print(f"error: MNIST data: {exc}", file=sys.stderr)
        return 1
    log.info("run written to %s (%.0f s of training)", config.run_dir, document["train_seconds"])
    log.info("curves and figures: tensorboard --logdir %s", config.run_dir / LOGS_DIR)
    return 0
