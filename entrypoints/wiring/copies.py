"""Every worker's last good copies hear every write in the deployment (LOCAL_COPY_SHARED)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from adapters.memory.fallback_cache import FallbackCache
from adapters.redis.copies_feed import CopiesFeed
from adapters.redis.keys import COPIES_CHANNEL
from adapters.redis.topology import RedisClient
from entrypoints.settings import Settings
from ports.cache import WeatherStore
from ports.metrics import Metrics


def copies_channel(settings: Settings) -> str:
    """Where writes are told to every worker's last good copies; "" when they are not."""
    shares = settings.local_copy_shared and settings.local_copy_size > 0
    return COPIES_CHANNEL if shares else ""


async def open_copies_feed(
    redis: RedisClient | None, cache: WeatherStore, metrics: Metrics, settings: Settings
) -> AsyncIterator[CopiesFeed | None]:
    """This process's subscription to every write (LOCAL_COPY_SHARED), feeding its last
    good copies; stopped on shutdown."""
    if redis is None or not isinstance(cache, FallbackCache) or not copies_channel(settings):
        yield None
        return
    feed = CopiesFeed(redis, cache, metrics=metrics)
    feed.start()
    try:
        yield feed
    finally:
        await feed.aclose()
