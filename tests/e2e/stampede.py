"""What the stampede suites share: the settings that keep every request on the
shared path, and a warm service with a cold city."""

from __future__ import annotations

from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import warm_up, weather_target

# The near cache would answer repeats in-process; these tests look at the shared path.
ENV = {"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.1", "UPSTREAM_TIMEOUT": "15"}
WARM_UP = 400


async def warmed(urls: list[str], fake: FakeOpenMeteo, requests: int = WARM_UP) -> None:
    """A warm service (see warm_up), a cold city: the fake forgets the warm-up's calls."""
    await warm_up(urls, weather_target("Miami"), requests)
    await fake.areset()
