"""Image references and what makes one pinned."""

from __future__ import annotations

import re

# A tag that starts with an exact version: 2.21.0, v3.5.0, 3.11.14-slim-bookworm, 0.1.0-cpu.
_EXACT_VERSION_TAG = re.compile(r"^v?\d+\.\d+\.\d+([.-][\w.-]+)?$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def split_tag(reference: str) -> tuple[str, str | None]:
    """("registry:5000/name", "tag") for "registry:5000/name:tag"; None without a tag."""
    reference = _DIGEST.sub("", reference)
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:  # no colon, or the colon was a registry port
        return reference, None
    return name, tag


def pin_problem(reference: str) -> str | None:
    """Why the reference is not pinned to an exact version, or None when it is."""
    if _DIGEST.search(reference):
        return None
    _, tag = split_tag(reference)
    if tag is None:
        return f"{reference!r} has no tag (it means latest)"
    if not _EXACT_VERSION_TAG.match(tag):
        return f"{reference!r}: tag {tag!r} is not an exact version"
    return None
