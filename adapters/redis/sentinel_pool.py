"""The Sentinel connection pool, bounded, and moving to a new primary as soon as it is named."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.sentinel import SentinelConnectionPool

from adapters.tasks import cancel_and_wait


class FollowingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """redis-py's Sentinel pool asks the Sentinels where the primary is only when it opens a
    connection. After a `SENTINEL FAILOVER` the old primary stays up, still a primary, until
    the Sentinel demotes it (about 10 s later): pooled connections would write there, and a
    subscription would hear nothing the new primary publishes. So this pool also asks every
    `follow_every_s`, and when the answer changes: idle connections close at once, busy
    ones when released, and any still held to the old primary one period later (a pub/sub
    reader, which reconnects by itself) are closed under their holder.

    From BlockingConnectionPool: a burst beyond `max_connections` waits `timeout`, then fails.
    """

    def __init__(
        self, service_name: str, sentinel_manager: Any, *, follow_every_s: float = 1.0, **kw: Any
    ) -> None:
        super().__init__(service_name, sentinel_manager, **kw)  # type: ignore[no-untyped-call]
        self._follow_every_s = follow_every_s
        self._following: asyncio.Task[None] | None = None

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        if self._following is None:  # started here: the first caller runs in the event loop
            self._following = asyncio.create_task(self._follow())
        connection: AbstractConnection = await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        return connection

    async def stop_following(self) -> None:
        task, self._following = self._following, None
        await cancel_and_wait(task)

    async def _follow(self) -> None:
        old: tuple[str, int] | None = None
        while True:
            # The loop's clock on purpose: it polls real Sentinels, as redis-py's timeouts do.
            await asyncio.sleep(self._follow_every_s)
            # A Sentinel that does not answer, or no primary (a failover under way), is no news.
            with contextlib.suppress(Exception):
                if old is not None:
                    await self._close_held_to(old)
                    old = None
                old = await self._moved_from()

    async def _moved_from(self) -> tuple[str, int] | None:
        """The old primary's address when the Sentinels name a new one, else None."""
        known: tuple[str, int] | None = self.master_address
        address = await self.sentinel_manager.discover_master(self.service_name)
        if known is None or address == known:
            return None
        self.master_address = address  # new connections go there
        await self.disconnect(inuse_connections=False)
        await self.update_active_connections_for_reconnect()  # type: ignore[no-untyped-call]
        return known

    async def _close_held_to(self, address: tuple[str, int]) -> None:
        held = [c for c in self._in_use_connections if _address(c) == address]
        await asyncio.gather(*(c.disconnect() for c in held), return_exceptions=True)


def _address(connection: AbstractConnection) -> tuple[str, int] | None:
    host, port = getattr(connection, "host", None), getattr(connection, "port", None)
    return None if host is None or port is None else (host, port)
