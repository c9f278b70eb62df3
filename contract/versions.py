"""What counts as a version in a model base path, as TF Serving sees it.

A version is a folder whose name is a non-negative integer in ASCII digits. Anything else
(a plain file named `3`, a hidden staging folder being written) is ignored by the servers,
the export, the demo and the tests alike.
"""

from pathlib import Path

STAGING_PREFIX = ".staging-"  # not a number: servers ignore a version being written


def is_version_name(name: str) -> bool:
    return name.isascii() and name.isdigit()


def version_dirs(model_base_path: str | Path, missing_ok: bool = True) -> dict[int, Path]:
    """The version folders in a base path by number; empty when the path is not a folder,
    or with `missing_ok=False` the OSError that says why it cannot be listed."""
    base = Path(model_base_path)
    if missing_ok and not base.is_dir():
        return {}
    return {
        int(entry.name): entry
        for entry in base.iterdir()
        if is_version_name(entry.name) and entry.is_dir()
    }


def published_versions(model_base_path: str | Path) -> list[int]:
    return sorted(version_dirs(model_base_path))


def existing_version_message(model_base_path: str | Path, version: int) -> str | None:
    """Why `version` cannot be published there (never overwritten), or None when free."""
    if (Path(model_base_path) / str(version)).exists():
        return f"version {version} already exists in {model_base_path}; it is never overwritten"
    return None


# Inside a version folder, beside the SavedModel: what the export adds for servers and people.
EXTRAS_DIR = "assets.extra"
METADATA_FILE = "metadata.json"  # what was trained, on what, how well
WARMUP_FILE = "tf_serving_warmup_requests"  # TFRecord of PredictionLog, replayed on load
