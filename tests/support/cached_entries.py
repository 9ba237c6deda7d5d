"""What Skycache holds in Redis for a city, read as the service reads it."""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.redis.envelope import decode_entry
from adapters.redis.keys import weather_key
from domain.model.query import WeatherQuery


async def fresh_until(redis_client: Redis, city: str) -> float:
    """When the city's entry turns stale, in epoch seconds."""
    raw = await redis_client.get(weather_key(WeatherQuery.parse(city).key))
    assert raw is not None, f"no entry for {city}"
    return decode_entry(raw).fresh_until
