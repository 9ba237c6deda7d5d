"""A test client on the whole app, wired by the container on the in-memory cache, with
some of its providers replaced (the upstream, the instruments, the gateway...)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


@asynccontextmanager
async def memory_app_client(**replaced: object) -> AsyncIterator[AsyncTestClient]:
    """`replaced`: container provider name -> the object it gives instead."""
    container = Container()
    container.settings.override(providers.Object(Settings.from_env({"SKYCACHE_CACHE": "memory"})))
    for name, value in replaced.items():
        getattr(container, name).override(providers.Object(value))
    async with AsyncTestClient(app=create_app(app_wiring(container))) as client:
        yield client
