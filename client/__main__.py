"""`python -m client {predict,grpc,samples,bench}`: one module per command."""

from __future__ import annotations

import argparse
import importlib
import sys

from client.errors import UserError

COMMANDS = {
    "predict": ("client.http_predict", "send images to the gateway (HTTP) and print the digits"),
    "grpc": ("client.grpc_predict", "send images straight to the model server over gRPC"),
    "samples": ("client.samples", "write real MNIST digits as image files to try the service"),
    "bench": ("client.bench", "load test the gateway or the model server"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(commands.add_parser(name, help=help_text, description=help_text))
        modules[name] = module
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
