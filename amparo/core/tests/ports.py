"""A loopback port nobody listens on (the OS picks it free): for a test's own server, or for a service "down"."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
