"""Counting a client's connections as the server sees them (CLIENT LIST)."""

from __future__ import annotations

from redis import Redis as SyncRedis


def connections_named(port: int, name: str, *, blocked: bool = False) -> int:
    """The connections to 127.0.0.1:`port` from clients that named themselves `name`
    (only those blocked in a command such as BLPOP, if `blocked`)."""
    with SyncRedis(port=port, socket_timeout=5.0) as node:
        listed = [each for each in node.client_list() if each.get("name") == name]
    return sum(1 for each in listed if not blocked or "b" in each.get("flags", ""))
