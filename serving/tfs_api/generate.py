"""Regenerate the Python modules of the vendored TF Serving messages.

    python -m serving.tfs_api.generate        # rewrites serving/tfs_api/*_pb2.py(i)
    python -m serving.tfs_api.generate --check  # exit 1 if the committed modules are stale

The generated modules are committed, so installing the gateway needs neither protoc nor
TensorFlow; this script (grpcio-tools, a dev dependency) keeps them reproducible from the
.proto files next to it. Proto paths are relative to the repository root, which makes the
generated imports `serving.tfs_api.*` and the descriptor file names unique to this project.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi")


def proto_files() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Run protoc on the vendored .proto files, writing serving/tfs_api/... under out_dir."""
    from grpc_tools import protoc  # dev dependency: imported only when regenerating

    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "protoc",
        f"-I{REPO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *(str(p.relative_to(REPO_ROOT)) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    generated_dir = out_dir / PACKAGE_DIR.relative_to(REPO_ROOT)
    return sorted(p for p in generated_dir.iterdir() if p.name.endswith(GENERATED_SUFFIXES))


def stale_modules() -> list[str]:
    """Names of committed modules that differ from a fresh generation (or are missing)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        committed = {p.name for p in PACKAGE_DIR.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}
        stale = [
            p.name
            for p in fresh
            if not (PACKAGE_DIR / p.name).exists()
            or not filecmp.cmp(p, PACKAGE_DIR / p.name, shallow=False)
        ]
        return stale + sorted(committed - {p.name for p in fresh})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_modules()
        if stale:
            names = ", ".join(stale)
            print(f"stale generated modules: {names}; run python -m serving.tfs_api.generate")
            return 1
        print("generated modules are up to date")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in generate(Path(tmp)):
            (PACKAGE_DIR / path.name).write_bytes(path.read_bytes())
            print(f"wrote {PACKAGE_DIR.relative_to(REPO_ROOT) / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
