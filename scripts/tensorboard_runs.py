"""`make tensorboard`: TensorBoard on every training run's logs, with the venv's TensorBoard.

    .venv/bin/python scripts/tensorboard_runs.py [--logdir runs] [--port 6006] [--host 127.0.0.1]

Each run directory (runs/cnn/, runs/mlp/, ...) writes its curves and figures under logs/;
pointing TensorBoard at runs/ shows them side by side. A missing log directory or a port in
use is one line and exit 1; TensorFlow's start-up chatter is filtered (training/quiet.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes.ports import port_is_free  # noqa: E402

DEFAULT_PORT = 6006  # TensorBoard's own default, as in docker-compose's tensorboard profile


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, default=Path("runs"), help="default: runs")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: 6006")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to be reached from others")
    return parser.parse_args(argv)


def problem(args: argparse.Namespace) -> str | None:
    if not args.logdir.is_dir():
        return (
            f"no runs in {args.logdir} yet: "
            "`.venv/bin/python -m training --run-dir runs/cnn` writes one"
        )
    if not port_is_free(args.port):
        return f"port {args.port} is in use (another TensorBoard?): pass another with --port"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if message := problem(args):
        print(f"error: {message}", file=sys.stderr)
        return 1
    from training.quiet import import_tensorflow

    import_tensorflow()
    from tensorboard import program

    board = program.TensorBoard()
    board.configure(logdir=str(args.logdir), host=args.host, port=args.port, load_fast="false")
    print(f"TensorBoard on {args.logdir}/: http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    sys.stdout.flush()
    return int(board.main() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
