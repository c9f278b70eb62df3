"""Free loopback ports."""

from __future__ import annotations

import socket

from processes.ports import LOOPBACK, free_port, port_is_free


def test_a_free_port_is_free_until_bound() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as taken:
        taken.bind((LOOPBACK, port))
        taken.listen()
        assert not port_is_free(port)
