"""The versions on disk for a model, as TF Serving's FileSystemStoragePathSource finds them.

What counts as a version is the project's one definition, `contract.versions.version_dirs`.
Each version comes with a fingerprint of its folder, so that a version that failed to load
is tried again when its folder is rewritten, and not on every poll.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from contract.versions import version_dirs

log = logging.getLogger(__name__)

Fingerprint = tuple[int, ...]


@dataclass(frozen=True)
class VersionDir:
    path: Path
    fingerprint: Fingerprint


def fingerprint(path: Path) -> Fingerprint:
    """Times and sizes of the folder and what a load reads first; changes when it is rewritten."""
    stamps: list[int] = []
    for candidate in (path, path / "saved_model.pb", path / "variables"):
        try:
            info = candidate.stat()
            stamps += [info.st_mtime_ns, info.st_size]
        except OSError:
            stamps += [0, 0]
    return tuple(stamps)


class VersionSource:
    """Lists base paths; warns once when one cannot be listed (not on every poll)."""

    def __init__(self) -> None:
        self._unlistable: set[Path] = set()  # warned about; forgotten once listed again

    def versions(self, base_path: Path) -> dict[int, VersionDir]:
        """The versions under `base_path` by number; none when it cannot be listed."""
        try:
            found = version_dirs(base_path, missing_ok=False)
        except OSError as exc:
            self._warn_once(base_path, exc)
            return {}
        self._unlistable.discard(base_path)
        return {version: VersionDir(path, fingerprint(path)) for version, path in found.items()}

    def _warn_once(self, base_path: Path, exc: OSError) -> None:
        if base_path not in self._unlistable:
            self._unlistable.add(base_path)
            log.warning("cannot list base path %s: %s", base_path, exc.strerror)
