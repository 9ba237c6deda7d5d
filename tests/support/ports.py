"""Free loopback ports for servers the tests start."""

from __future__ import annotations

from entrypoints.launcher import free_port

__all__ = ["free_port"]
