"""Letting time pass in a contract test: on a fake clock for an in-process adapter, in real
time for Redis, whose TTLs run on the server's own clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.unit.fakes import FakeClock

Elapse = Callable[[float], Awaitable[None]]


def elapse_for(request: pytest.FixtureRequest, param: str, clock: FakeClock) -> Elapse:
    """`clock.advance` when the test's `param` fixture is the in-memory adapter, else a
    real sleep."""
    if request.node.callspec.params.get(param) != "memory":
        return asyncio.sleep

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    return advance
