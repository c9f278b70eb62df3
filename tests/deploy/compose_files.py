"""Load compose files as Docker Compose does: merge keys, `!reset`, and the merge of an
override file onto the main one (the subset of the merge rules that our files use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _Reset:
    """A `!reset` value: removes the key from the merged result."""


RESET = _Reset()


class ComposeLoader(yaml.SafeLoader):
    """SafeLoader plus Compose's `!reset` tag (PyYAML's SafeLoader already does `<<`)."""


def _construct_reset(loader: yaml.SafeLoader, node: yaml.Node) -> _Reset:
    return RESET


ComposeLoader.add_constructor("!reset", _construct_reset)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=ComposeLoader)
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


def without_resets(value: Any) -> Any:
    """The file as the schema sees it: `!reset` values are reset to an empty value."""
    if isinstance(value, dict):
        return {k: ({} if v is RESET else without_resets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_resets(v) for v in value]
    return value


# Compose replaces these sequences instead of appending to them.
_REPLACED = {"command", "entrypoint", "test"}


def merge(base: Any, override: Any, key: str = "") -> Any:
    """`docker compose -f base -f override`: mappings merge, scalars and command-like
    sequences are replaced, other sequences are appended, `!reset` removes."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, v in override.items():
            if v is RESET:
                merged.pop(k, None)
            elif k in merged:
                merged[k] = merge(merged[k], v, k)
            else:
                merged[k] = v
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in _REPLACED:
        return base + [v for v in override if v not in base]
    return override


def effective(*paths: Path) -> dict[str, Any]:
    """The project that `docker compose -f p1 -f p2 ...` runs."""
    result: dict[str, Any] = {}
    for path in paths:
        result = merge(result, load(path))
    return without_resets(result)
