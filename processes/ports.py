"""Loopback ports: one the kernel says is free, and whether a given one is."""

from __future__ import annotations

import contextlib
import socket

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the kernel's pick); bind it soon."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different ports that were free a moment ago. The probes stay bound until all
    are picked: one at a time, the kernel may hand out the port it has just released."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
