"""What a cold city costs Redis: the commands one miss sends, counted by the server itself."""

from __future__ import annotations

import time
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
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

# Measured on this test's own redis-server (INFO commandstats counts the commands a script
# runs too), for a cold city after another one already loaded the scripts and made the
# budget's keys:
# - before the cold path read once: 51 commands, 6 GETs (the entry 3 times: the fast path,
#   the full call, the peek under the lease; the location twice: the admission priority,
#   the geocoder's cache; the lease's release 1);
# - then 49, 4 GETs: the entry once before the lease (the fast path's read is handed on)
#   and once under it (a fetch another worker finished meanwhile), the location once (the
#   geocoder's read also sets the admission priority), the lease's release;
# - with fenced writes, 51 again: the entry's write became a script (EVALSHA) that
#   compares fences (a GET) before its SET; 38 of the 51 were the budget scripts' (3 runs:
#   a HGET, HSETNX, HLEN, HMGET and PEXPIRE each, then a HGETALL, HINCRBY and PEXPIRE per
#   window and key: minute, hour and day for each of the two upstream calls, one for the
#   client's);
# - then 22: a name's windows, workers and closure are one hash, read with one HGETALL
#   and written with one HSET; its expiry is set only when it is made, when a worker puts
#   its spend back, or when a bucket begins that the expiry may not outlive;
# - now 24: leases that survive a restart: the lease's script also reads the dataset's
#   marker (a GET) and Redis' clock for the fence (TIME), in the same one round trip;
# - now 25: the fenced write also PUBLISHes what it stored on the copies channel, for
#   every worker's last good copies, inside its one script (no round trip more).
BEFORE = 51
AFTER = Counter(
    {
        # the lease's acquire (its marker GET, SET NX and TIME) and release (its GET, DEL
        # and PUBLISH); the fenced write (its GET, SET and PUBLISH); the upstream budget for the
        # geocoding call and the forecast call, and the client's miss budget (a HGETALL
        # and a HSET each)
        "evalsha": 6,
        # the entry before the lease and under it, the location, the lease's marker and
        # its release compare, the fenced write's compare
        "get": 6,
        "set": 3,  # the lease, the entry, the location
        "del": 1,
        "publish": 2,  # the lease's release, the copy of the entry written
        "hgetall": 3,
        "hset": 3,
        "time": 1,  # the lease's fence, from Redis' clock
    }
)


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
    # Time stands still, so both cities fall in the same buckets of every budget window:
    # a bucket that begins between them would add its expiry (see the budget's script).
    container.clock.override(providers.Object(FakeClock(time.time())))
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


async def test_a_cold_city_costs_25_commands_where_it_cost_51(
    services: HttpServices, own_redis_server: LocalRedisServer, fake_open_meteo: FakeOpenMeteo
) -> None:
    async with Redis.from_url(own_redis_server.url) as redis:
        # The first miss also loads the scripts and makes the budget's two hashes.
        first = await _cold_miss(services, redis, "Berlin")
        sent = await _cold_miss(services, redis, "Paris")
        budget_keys = await redis.keys("*:windows")
        ttls = [await redis.pttl(key) for key in budget_keys]
    assert fake_open_meteo.calls() == {"geocoding": 2, "forecast": 2}
    assert sent == AFTER, dict(sent)
    assert sum(sent.values()) == 25 < BEFORE
    # No key without an expiry: each hash got its expiry when it was made.
    assert first["pexpire"] == 2 == len(budget_keys), dict(first)
    assert all(ttl > 0 for ttl in ttls), ttls
