"""What a cold city costs Redis: the commands one miss sends, counted by the server itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from redis.asyncio import Redis

from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import Seen
from entrypoints.container import Container, HttpServices, opened_services
from entrypoints.settings import Settings
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer

pytestmark = pytest.mark.integration

# Measured on this test's own redis-server (INFO commandstats counts the commands a script
# runs too), for a cold city after another one already loaded the scripts:
# - before the cold path read once: 51 commands, 6 GETs (the entry 3 times: the fast path,
#   the full call, the peek under the lease; the location twice: the admission priority,
#   the geocoder's cache; the lease's release 1);
# - now: 49 commands, 4 GETs: the entry once before the lease (the fast path's read is
#   handed on) and once under it (a fetch another worker finished meanwhile), the location
#   once (the geocoder's read also sets the admission priority), the lease's release;
# - with fenced writes, 51 again: the entry's write became a script (EVALSHA) that
#   compares fences (a GET) before its SET, in the write's one round trip; the reads stay
#   at 4 (5 GETs counted, one of them the write's compare);
# - with leases that survive a restart, 53: the lease's script also reads the dataset's
#   marker (a GET) and Redis' clock for the fence (TIME), in the same one round trip.
# The others are the lease, the entry's and location's writes, and the upstream and
# per-client budgets (adapters/redis/budget_scripts.py).
BEFORE = 53
GETS = 6


async def _commandstats(client: Redis) -> Counter[str]:
    stats = await client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): row["calls"] for name, row in stats.items()})


@pytest.fixture
async def services(
    own_redis_server: LocalRedisServer, fake_open_meteo: FakeOpenMeteo
) -> AsyncIterator[HttpServices]:
    env = {
        "REDIS_URL": own_redis_server.url,
        "SKYCACHE_CACHE": "redis",
        "WEATHER_PROVIDER": "open-meteo",
        "OPEN_METEO_GEOCODING_URL": fake_open_meteo.url,
        "OPEN_METEO_FORECAST_URL": fake_open_meteo.url,
        # Counters flushed on a timer would land inside the count: only shutdown flushes.
        "METRICS_FLUSH_INTERVAL": "3600",
    }
    container = Container()
    container.settings.override(providers.Object(Settings.from_env(env)))
    async with opened_services(container) as opened:
        yield opened


async def _cold_miss(services: HttpServices, redis: Redis, city: str) -> Counter[str]:
    """The commands one cold city sends: the fast path's try, then the full call."""
    query = WeatherQuery.parse(city)
    before = await _commandstats(redis)
    seen = await services.get_weather.cached_hit(query)
    assert isinstance(seen, Seen)
    await services.get_weather(query, client="127.0.0.1", seen=seen)
    after = await _commandstats(redis)
    sent = after - before
    del sent["info"]
    return sent


async def test_a_cold_city_reads_its_entry_and_its_location_once(
    services: HttpServices, own_redis_server: LocalRedisServer, fake_open_meteo: FakeOpenMeteo
) -> None:
    async with Redis.from_url(own_redis_server.url) as redis:
        # The first miss also loads the scripts and creates the budget's keys.
        await _cold_miss(services, redis, "Berlin")
        sent = await _cold_miss(services, redis, "Paris")
    assert fake_open_meteo.calls() == {"geocoding": 2, "forecast": 2}
    assert sent["get"] == GETS, dict(sent)
    # The read-once path saves 2; the fenced write spends them on its compare-and-set, and
    # the lease 2 more inside its script (the marker and the clock): no round trip added.
    assert sum(sent.values()) <= BEFORE, dict(sent)
