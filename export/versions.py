"""The versions in a model base path, as TF Serving sees them: integer folder names only.

Free of TensorFlow, so that `--list` and the early checks of the CLI are instant.
"""

from pathlib import Path

STAGING_PREFIX = ".staging-"  # non-numeric: servers ignore folders being written


def version_dirs(model_base_path: str | Path) -> dict[int, Path]:
    base = Path(model_base_path)
    if not base.is_dir():
        return {}
    return {
        int(entry.name): entry
        for entry in base.iterdir()
        if entry.name.isascii() and entry.name.isdigit() and entry.is_dir()
    }


def published_versions(model_base_path: str | Path) -> list[int]:
    return sorted(version_dirs(model_base_path))


def existing_version_message(model_base_path: str | Path, version: int) -> str | None:
    """Why `version` cannot be published there, or None when it is free."""
    if (Path(model_base_path) / str(version)).exists():
        return f"version {version} already exists in {model_base_path}; it is never overwritten"
    return None
