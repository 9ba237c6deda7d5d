"""What the gateway's e2e suites share: the fake upstream's gateway log and knobs, the
settings that send the gateway to it, and a query builder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.support.fake_open_meteo import FakeOpenMeteo


def gateway_env(fake: FakeOpenMeteo) -> dict[str, str]:
    """Every gateway API at the fake; counters flushed often for /stats."""
    return {
        "OPEN_METEO_AIR_QUALITY_URL": fake.url,
        "OPEN_METEO_ARCHIVE_URL": fake.url,
        "METRICS_FLUSH_INTERVAL": "0.1",
        "UPSTREAM_TIMEOUT": "15",
    }


def points_query(
    points: Sequence[tuple[float, float]], hourly: str = "temperature_2m", **extra: str
) -> str:
    """A query string for `points`, coordinates as comma lists."""
    pairs = [
        ("latitude", ",".join(str(lat) for lat, _ in points)),
        ("longitude", ",".join(str(lon) for _, lon in points)),
        ("hourly", hourly),
        *extra.items(),
    ]
    return urlencode(pairs, safe=",")


class GatewayLog:
    """The fake's gateway side, steered over its /_gateway/ routes."""

    def __init__(self, fake: FakeOpenMeteo) -> None:
        self.url = fake.url

    async def _post(self, path: str, doc: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            (await client.post(path, json=doc)).raise_for_status()

    async def reset(self) -> None:
        await self._post("/_gateway/reset", {})

    async def control(self, **doc: Any) -> None:
        await self._post("/_gateway/control", doc)

    async def calls(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            calls: list[dict[str, Any]] = (await client.get("/_gateway/calls")).json()
            return calls

    async def direct(self, path: str, query: str) -> httpx.Response:
        """The fake's own answer to `query`, asked straight (and logged like any call)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return await client.get(f"{path}?{query}")
