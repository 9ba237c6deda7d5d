"""The gateway on a 3-primary Redis Cluster: a request's locations span every shard, their
leases and wake-ups too; still each location fetched once, in one call per process."""

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


async def test_a_burst_for_25_locations_over_two_instances_fetches_each_location_once(
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
    # Each location once cluster-wide: one call per process at most (four race for the 25
    # leases, one at a time in the request's order), never a location twice.
    calls = await log.calls()
    fetched = [tuple(point) for call in calls for point in call["points"]]
    assert sorted(fetched) == sorted(points)
    assert len(calls) <= 4
    await log.control(latency_s=0)
    upstream = await log.direct("/v1/forecast", query)
    assert {r.body for r in replies} == {upstream.content}
    async with asyncio.timeout(30):
        again = await burst(urls, f"/v1/forecast?{query}", 20)
    assert {r.headers["x-cache-locations"] for r in again} == {"hit=25 miss=0 stale=0"}
    assert len(await log.calls()) == len(calls) + 1  # the direct one only
