"""Bounded trust in the upstream: Retry-After clamped, bodies capped, a whole call bounded,
and one slow answer never starving the other cities of a worker."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CLAMP_S = 300
ENV = {"NEAR_CACHE_TTL": "0", "UPSTREAM_RETRY_AFTER_MAX": str(CLAMP_S)}
# Retry-After as the upstream sends it -> the wait it must mean (None: as if absent, so
# the window Open-Meteo's "Minutely" reason names: 60 s).
RETRY_AFTERS: dict[str, int] = {
    "Thu, 01 Jan 2099 00:00:00 GMT": CLAMP_S,
    "1e308": CLAMP_S,
    "99999999999999999999999999": CLAMP_S,
    "2099-01-01": 60,  # not an HTTP date, not seconds: garbage
    "-5": 60,
    "soon": 60,
    "nan": 60,
    "120": 120,
}


@pytest.mark.parametrize("sent", RETRY_AFTERS)
async def test_the_upstreams_retry_after_is_clamped_and_clients_get_a_whole_number_within_it(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, sent: str
) -> None:
    app = start_app(ENV)
    await fake_open_meteo.aset(mode="error429", endpoint="forecast", retry_after=sent)
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        limited = await client.get("/weather", params={"city": "Boise"})
        waiting = await client.get("/weather", params={"city": "Topeka"})  # no call made

    for response in (limited, waiting):
        assert response.status_code == 503, response.text
        header = response.headers["retry-after"]
        assert header.isdigit() and 1 <= int(header) <= CLAMP_S
    assert RETRY_AFTERS[sent] - 5 <= int(waiting.headers["retry-after"]) <= RETRY_AFTERS[sent]
    assert (await fake_open_meteo.acalls())["forecast"] == 1


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


async def test_a_300_mb_body_is_abandoned_past_the_cap_the_worker_barely_grows_nothing_cached(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    app = start_app(ENV)  # one worker: the process started is the one that serves
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        assert (await client.get("/weather", params={"city": "Boston"})).status_code == 200
        before, peak_before = rss_kb(app.pid), rss_kb(app.pid, "VmHWM")
        await fake_open_meteo.aset(mode="huge_body", endpoint="forecast", only=["Boise"])
        huge = await client.get("/weather", params={"city": "Boise"})
        after, peak_after = rss_kb(app.pid), rss_kb(app.pid, "VmHWM")
        cached = await redis_client.get("skycache:v2:{boise}:weather")
        again = await client.get("/weather", params={"city": "Boise"})

    print(f"\nRSS {before} -> {after} KB, peak {peak_before} -> {peak_after} KB")
    assert huge.status_code == 502, huge.text
    assert "body over 1048576 bytes" in huge.json()["detail"]
    assert after - before < 20 * 1024
    assert peak_after - peak_before < 20 * 1024
    assert cached is None
    assert again.status_code == 502
    assert (await fake_open_meteo.acalls())["forecast"] == 3  # Boston, then Boise twice


TIMEOUT_S = 1.5
OTHERS = ["Topeka", "Eugene", "Portland", "Fresno", "Spokane"]


async def test_a_trickling_body_does_not_keep_other_cold_cities_from_being_served(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # One call at a time (the default): the trickle holds the worker's only slot.
    app = start_app({**ENV, "UPSTREAM_TIMEOUT": str(TIMEOUT_S)})
    await fake_open_meteo.aset(mode="trickle", endpoint="forecast", only=["Boise"])

    async def timed(client: httpx.AsyncClient, city: str) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = await client.get("/weather", params={"city": city})
        return response, time.monotonic() - started

    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        slow = asyncio.create_task(timed(client, "Boise"))
        await asyncio.sleep(0.3)  # Boise's forecast is trickling in by now
        others = await asyncio.gather(*(timed(client, city) for city in OTHERS))
        trickled, trickle_s = await slow

    print(f"\ntrickling city: {trickled.status_code} after {trickle_s:.2f} s")
    for city, (response, seconds) in zip(OTHERS, others, strict=True):
        print(f"{city}: {response.status_code} after {seconds:.2f} s")
    assert [response.status_code for response, _ in others] == [200] * len(OTHERS)
    assert trickled.status_code == 503
    assert "timed out" in trickled.json()["detail"]
    # No retry of the trickle: a whole UPSTREAM_TIMEOUT no longer fit in its deadline.
    assert (await fake_open_meteo.acalls())["forecast"] == 1 + len(OTHERS)
