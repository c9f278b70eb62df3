"""The control plane: reconfiguration, as TF Serving's HandleReloadConfigRequest does it.

A new ModelServerConfig, from the gRPC API or from a changed --model_config_file, is
validated as TF Serving validates it, its base paths are mapped through --mount, and the
manager applies it off the event loop (it loads versions). Errors are ServingErrors with
TF Serving's codes: a bad config is INVALID_ARGUMENT, a label on a version that is not
available FAILED_PRECONDITION.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serving.model_server.config import (
    ModelServerConfig,
    Mount,
    load_model_config,
    resolve_model_config,
)
from serving.model_server.errors import ConfigError, invalid_argument
from serving.model_server.manager import ModelManager


class ControlPlane:
    def __init__(self, manager: ModelManager, mount: Mount | None):
        self._manager = manager
        self._mount = mount  # applies to reloaded configs as to the config file at start

    async def reload_config(self, config: ModelServerConfig) -> None:
        """HandleReloadConfigRequest: the config as a client sent it."""
        with _invalid_argument():
            resolved = resolve_model_config(config, self._mount)
        await self._apply(resolved)

    async def reload_config_file(self, path: Path) -> None:
        """--model_config_file_poll_wait_seconds: the file, read again."""
        with _invalid_argument():
            config = load_model_config(path, self._mount)
        await self._apply(config)

    async def _apply(self, config: ModelServerConfig) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._manager.apply_config, config)


@contextmanager
def _invalid_argument() -> Iterator[None]:
    """A config the server cannot apply is the sender's error, in the config's own words."""
    try:
        yield
    except ConfigError as exc:
        raise invalid_argument(str(exc)) from exc
