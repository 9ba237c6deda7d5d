"""Letting time pass in a contract test: on a fake clock for an in-process adapter, in real
time for Redis, whose TTLs run on the server's own clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.unit.fakes import FakeClock

Elapse = Callable[[float], Awaitable[None]]


def elapse_for(request: pytest.FixtureRequest, clock: FakeClock) -> Elapse:
    """`clock.advance` when the test runs on the in-memory adapter (a parameter "memory"),
    else a real sleep."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or "memory" not in callspec.params.values():
        return asyncio.sleep

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    return advance
