"""The gateway on a 3-primary Redis Cluster: a request's locations span every shard, their
leases and wake-ups too; still one upstream call per batch of missing locations."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.e2e.conftest import LOAD_TEST
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.e2e.test_cluster import StartInstances, instances, warmed
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import burst

pytestmark = LOAD_TEST

__all__ = ["instances"]  # the cluster suite's fixture, used here


async def test_a_burst_for_25_locations_over_two_instances_is_one_upstream_call(
    instances: StartInstances, fake_open_meteo: FakeOpenMeteo
) -> None:
    log = GatewayLog(fake_open_meteo)
    apps = instances(**gateway_env(fake_open_meteo))
    urls = await warmed(apps, fake_open_meteo)
    await log.reset()
    points = [(30.0 + n, 40.0 + n) for n in range(25)]  # 25 keys: every shard holds some
    query = points_query(points)
    await log.control(latency_s=0.5)
    async with asyncio.timeout(60):
        replies = await burst(urls, f"/v1/forecast?{query}", 200)
    assert Counter(r.status for r in replies) == {200: 200}
    calls = await log.calls()
    assert len(calls) == 1 and len(calls[0]["points"]) == 25
    await log.control(latency_s=0)
    upstream = await log.direct("/v1/forecast", query)
    assert {r.body for r in replies} == {upstream.content}
    async with asyncio.timeout(30):
        again = await burst(urls, f"/v1/forecast?{query}", 20)
    assert {r.headers["x-cache-locations"] for r in again} == {"hit=25 miss=0 stale=0"}
    assert len(await log.calls()) == 2  # the direct one only
