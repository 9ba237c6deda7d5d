"""What Redis sees: commands processed, bytes per key, and a pipelined pre-fill of cities."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from collections.abc import Sequence

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from adapters.redis.cache import RedisCache
from adapters.redis.keys import weather_key
from domain.model.entry import CacheEntry
from domain.model.query import WeatherQuery

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def bench_city(i: int) -> str:
    """A valid, distinct city name for index i (city names allow letters only)."""
    suffix = ""
    for _ in range(4):
        i, digit = divmod(i, 26)
        suffix = _LETTERS[digit] + suffix
    return f"Bench {suffix}"


def commands_processed(client: Redis) -> int:
    return int(client.info("stats")["total_commands_processed"])


def mean_memory_usage(client: Redis, keys: Sequence[str]) -> float:
    sizes = [client.memory_usage(key, samples=0) or 0 for key in keys]
    return statistics.fmean(sizes) if sizes else 0.0


def weather_keys(cities: Sequence[str]) -> list[str]:
    return [weather_key(WeatherQuery.parse(city).key) for city in cities]


def prefill(url: str, template_city: str, start: int, stop: int, fresh_s: float = 3600) -> None:
    """Cities bench_city(start..stop-1), each a copy of `template_city`'s real entry."""
    asyncio.run(_prefill(url, template_city, start, stop, fresh_s))


async def _prefill(url: str, template_city: str, start: int, stop: int, fresh_s: float) -> None:
    client = AsyncRedis.from_url(url)
    try:
        template = await RedisCache(client).get(WeatherQuery.parse(template_city).key)
        if template is None or template.weather is None:
            raise RuntimeError(f"{template_city} is not cached: nothing to copy")
        now = time.time()
        for chunk in range(start, stop, 5000):
            async with client.pipeline(transaction=False) as pipe:
                # RedisCache over a pipeline: the same keys and envelopes, queued not sent.
                cache = RedisCache(pipe)
                for i in range(chunk, min(chunk + 5000, stop)):
                    await cache.put(*_copy(template, bench_city(i), now, fresh_s))
                await pipe.execute()
    finally:
        await client.aclose()


def _copy(
    template: CacheEntry, city: str, now: float, fresh_s: float
) -> tuple[str, CacheEntry, float]:
    assert template.weather is not None
    weather = dataclasses.replace(template.weather, city=city)
    entry = dataclasses.replace(
        template, weather=weather, fetched_at=now, fresh_until=now + fresh_s,
        stale_until=now + 2 * fresh_s,
    )  # fmt: skip
    return WeatherQuery.parse(city).key, entry, 2 * fresh_s
