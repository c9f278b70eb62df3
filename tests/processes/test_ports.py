"""Free loopback ports."""

from __future__ import annotations

import socket

from processes.ports import LOOPBACK, free_port, free_ports, port_is_free


def test_a_free_port_is_free_until_bound() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as taken:
        taken.bind((LOOPBACK, port))
        taken.listen()
        assert not port_is_free(port)


def test_ports_picked_together_differ() -> None:
    # Picked one at a time, two ports can be the same: the kernel may hand out again the
    # port it has just released (a model server once got --port equal to --rest_api_port).
    for _ in range(200):
        ports = free_ports(3)
        assert len(set(ports)) == 3
        assert all(port_is_free(port) for port in ports)
