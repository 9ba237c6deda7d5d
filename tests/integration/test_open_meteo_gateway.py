"""The gateway's upstream adapter against the fake Open-Meteo: one call for several
locations cut into one part each, Open-Meteo's 400 passed on, failures translated, the
body cap, the call's weight and the server's own key, and a GET turned form POST when its
URL would be too long."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from openmeteo_sdk.WeatherApiResponse import WeatherApiResponse

from adapters.providers.budgeted_transport import WEIGHT
from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo_gateway import OpenMeteoGateway
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    GatewayRefused,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from domain.model.gateway import Api, GatewayRequest, parse_request
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.gateway_app import MAX_URL_BYTES

pytestmark = pytest.mark.integration

FORM = {"content-type": "application/x-www-form-urlencoded"}
BERLIN_PARIS = "latitude=52.52,48.86&longitude=13.41,2.35&hourly=temperature_2m"


async def steer(fake: FakeOpenMeteo, path: str, doc: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=fake.url, timeout=10) as client:
        if doc is None:
            return (await client.get(path)).json()
        return (await client.post(path, json=doc)).json()


@pytest.fixture
async def fake(fake_open_meteo: FakeOpenMeteo) -> FakeOpenMeteo:
    await steer(fake_open_meteo, "/_gateway/reset", {})
    return fake_open_meteo


def parsed(query: str, api: Api = Api.FORECAST) -> GatewayRequest:
    pairs = httpx.QueryParams(query).multi_items()
    return parse_request(api, pairs, coord_grid=0.01, today=datetime.now(UTC).date())


def gateway(
    client: httpx.AsyncClient, fake: FakeOpenMeteo, *, max_body: int = 1_048_576, key: str = ""
) -> OpenMeteoGateway:
    urls = dict.fromkeys(Api, fake.url)
    return OpenMeteoGateway(client, urls, HttpLimits(max_body_bytes=max_body), api_key=key)


async def test_one_json_call_is_cut_into_one_part_per_location_and_joined_back(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    query = parsed(BERLIN_PARIS)
    adapter = gateway(client, fake)
    parts = await adapter.fetch(query, query.points, UpstreamCall())
    direct = await client.get(f"{fake.url}/v1/forecast?{BERLIN_PARIS}")
    assert [part[:1] for part in parts] == [b"{", b"{"]
    assert adapter.join(query, parts) == direct.content
    calls = await steer(fake, "/_gateway/calls")
    assert [call["points"] for call in calls[:1]] == [[[52.52, 13.41], [48.86, 2.35]]]


def decoded(body: bytes) -> list[tuple[float, float, list[float]]]:
    """Each message's place and first hourly series, as the official SDK reads them."""
    found = []
    at = 0
    while at < len(body):
        size = int.from_bytes(body[at : at + 4], "little")
        message = WeatherApiResponse.GetRootAs(body, at + 4)
        series = message.Hourly().Variables(0)
        values = [series.Values(i) for i in range(series.ValuesLength())]
        found.append((message.Latitude(), message.Longitude(), values))
        at += 4 + size
    return found


async def test_one_flatbuffers_call_is_cut_per_location_and_model_and_joined_back(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    asked = f"{BERLIN_PARIS}&models=icon_seamless,gfs_seamless&format=flatbuffers"
    query = parsed(asked)
    adapter = gateway(client, fake)
    parts = await adapter.fetch(query, query.points, UpstreamCall())
    direct = await client.get(f"{fake.url}/v1/forecast?{asked}")
    assert [len(decoded(part)) for part in parts] == [2, 2]  # one message per model
    assert decoded(adapter.join(query, parts)) == decoded(direct.content)


async def test_open_meteos_400_is_passed_on_as_it_came(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    query = parsed("latitude=52.52&longitude=13.41&hourly=no_such_variable")
    with pytest.raises(GatewayRefused) as refused:
        await gateway(client, fake).fetch(query, query.points, UpstreamCall())
    direct = await client.get(
        f"{fake.url}/v1/forecast?latitude=52.52&longitude=13.41&hourly=no_such_variable"
    )
    assert (direct.status_code, refused.value.body) == (400, direct.content)


@pytest.mark.parametrize(
    ("mode", "error"), [("error500", UpstreamUnavailable), ("error429", UpstreamRateLimited)]
)
async def test_upstream_failures_become_the_domains_errors(
    fake: FakeOpenMeteo, client: httpx.AsyncClient, mode: str, error: type[Exception]
) -> None:
    await steer(fake, "/_gateway/control", {"mode": mode})
    query = parsed(BERLIN_PARIS)
    with pytest.raises(error) as raised:
        await gateway(client, fake).fetch(query, query.points, UpstreamCall())
    assert not isinstance(raised.value, GatewayRefused)


async def test_a_body_just_within_the_cap_per_location_is_read_and_one_above_is_not(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    query = parsed(BERLIN_PARIS)
    parts = await gateway(client, fake).fetch(query, query.points, UpstreamCall())
    size = sum(len(part) for part in parts) + len(parts) + 1  # [a,b]
    within = -(-size // 2)  # the cap is per location the call carries: 2 x within >= size
    assert (
        len(await gateway(client, fake, max_body=within).fetch(query, query.points, UpstreamCall()))
        == 2
    )
    with pytest.raises(UpstreamBadResponse):
        await gateway(client, fake, max_body=(size - 1) // 2).fetch(
            query, query.points, UpstreamCall()
        )


async def test_the_servers_key_is_sent_and_a_clients_never(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    query = parsed(f"{BERLIN_PARIS}&apikey=the-clients-own")
    await gateway(client, fake, key="the-servers-key").fetch(query, query.points, UpstreamCall())
    (call,) = await steer(fake, "/_gateway/calls")
    keys = [value for name, value in call["query"] if name == "apikey"]
    assert keys == ["the-servers-key"]


async def test_each_call_carries_its_open_meteo_weight_to_the_budget(
    fake: FakeOpenMeteo,
) -> None:
    weights: list[float] = []

    async def record(request: httpx.Request) -> None:
        weights.append(request.extensions[WEIGHT])

    async with httpx.AsyncClient(timeout=5.0, event_hooks={"request": [record]}) as client:
        hourly = ",".join(
            ["temperature_2m"] * 1 + [f"cloud_cover{s}" for s in ("", "_low", "_mid", "_high")]
        )
        query = parsed(
            f"latitude=52.52,48.86&longitude=13.41,2.35&hourly={hourly}&forecast_days=16"
        )
        await gateway(client, fake).fetch(query, query.points, UpstreamCall())
    (call,) = await steer(fake, "/_gateway/calls")
    assert weights == [query.weight(2)] == [call["weight"]]


def url_chars(fake: FakeOpenMeteo, query: GatewayRequest) -> int:
    """The length of the GET URL the adapter would send for every point of `query`."""
    encoded = httpx.QueryParams(tuple(query.upstream_params(query.points)))
    return len(f"{fake.url}/v1/forecast?{encoded}")


async def test_a_url_just_within_the_bound_is_a_get_and_one_over_it_a_form_post(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    query = parsed(BERLIN_PARIS)
    bound = url_chars(fake, query)
    answers = []
    for max_get_url_chars in (bound, bound - 1):
        urls = dict.fromkeys(Api, fake.url)
        adapter = OpenMeteoGateway(client, urls, HttpLimits(), max_get_url_chars=max_get_url_chars)
        answers.append(
            adapter.join(query, await adapter.fetch(query, query.points, UpstreamCall()))
        )
    calls = await steer(fake, "/_gateway/calls")
    assert [call["method"] for call in calls] == ["GET", "POST"]
    assert calls[0]["query"] == calls[1]["query"]
    assert answers[0] == answers[1]


async def test_the_fake_refuses_a_url_over_a_servers_request_line_with_414(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    start = f"{fake.url}/v1/forecast?latitude=52.52&longitude=13.41&hourly=temperature_2m&pad="
    base = len(start) - len(fake.url)
    inside = await client.get(start + "x" * (MAX_URL_BYTES - base))
    outside = await client.get(start + "x" * (MAX_URL_BYTES - base + 1))
    assert (inside.status_code, outside.status_code) == (400, 414)  # unknown `pad`: seen
    assert len(await steer(fake, "/_gateway/calls")) == 1


async def test_many_locations_with_long_lists_go_as_one_form_post_the_fake_accepts(
    fake: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    spots = [(10 + 0.05 * (i // 40), 0.05 * (i % 40)) for i in range(600)]
    hourly = "temperature_2m,relative_humidity_2m,precipitation,wind_speed_10m,cloud_cover"
    asked = (
        f"latitude={','.join(f'{lat:.2f}' for lat, _ in spots)}"
        f"&longitude={','.join(f'{lon:.2f}' for _, lon in spots)}"
        f"&hourly={hourly}&forecast_days=1&format=flatbuffers"
    )
    query = parsed(asked)
    assert url_chars(fake, query) > MAX_URL_BYTES  # as a GET, the fake would refuse it
    adapter = gateway(client, fake)
    joined = adapter.join(query, await adapter.fetch(query, query.points, UpstreamCall()))
    direct = await client.post(f"{fake.url}/v1/forecast", content=asked.encode(), headers=FORM)
    (call, _) = await steer(fake, "/_gateway/calls")
    assert (call["method"], len(call["points"])) == ("POST", 600)
    assert decoded(joined) == decoded(direct.content)
