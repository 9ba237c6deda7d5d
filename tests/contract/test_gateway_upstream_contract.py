"""Every GatewayUpstream sends its one call for the fetch's UpstreamCall: Open-Meteo's
against its fake server, bare and behind its Protection (whose retry re-sends it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from adapters.providers.budgeted_transport import WEIGHT
from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo_gateway import OpenMeteoGateway
from adapters.resilience.protected_gateway import ProtectedGateway
from adapters.resilience.protection import Protection, ProtectionConfig
from adapters.upstream_call import CALL
from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import UpstreamUnavailable
from domain.model.gateway import Api, GatewayRequest, parse_request
from ports.gateway import GatewayUpstream
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.unit.fakes import FakeClock

BERLIN_PARIS = "latitude=52.52,48.86&longitude=13.41,2.35&hourly=temperature_2m"


@dataclass
class Subject:
    upstream: GatewayUpstream
    attempts: int  # how many requests one failing fetch sends
    carried: list[tuple[object, object]] = field(default_factory=list)  # (call, weight)


async def control(fake: FakeOpenMeteo, path: str, doc: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=fake.url, timeout=10) as client:
        (await client.post(path, json=doc)).raise_for_status()


@pytest.fixture(params=["open-meteo", "protected"])
async def subject(
    request: pytest.FixtureRequest, fake_open_meteo: FakeOpenMeteo
) -> AsyncIterator[Subject]:
    await control(fake_open_meteo, "/_gateway/reset", {})
    carried: list[tuple[object, object]] = []

    async def note(sent: httpx.Request) -> None:
        carried.append((sent.extensions.get(CALL), sent.extensions.get(WEIGHT)))

    async with httpx.AsyncClient(timeout=5.0, event_hooks={"request": [note]}) as client:
        upstream: GatewayUpstream = OpenMeteoGateway(
            client, dict.fromkeys(Api, fake_open_meteo.url), HttpLimits()
        )
        attempts = 1
        if request.param == "protected":
            attempts = 2
            rules = ProtectionConfig(retries=1, retry_delay_s=(0.0, 0.0))
            upstream = ProtectedGateway(
                upstream, Protection(upstream.name, rules, clock=FakeClock())
            )
        yield Subject(upstream, attempts, carried)
    await control(fake_open_meteo, "/_gateway/reset", {})


def parsed(query: str) -> GatewayRequest:
    pairs = httpx.QueryParams(query).multi_items()
    return parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=datetime.now(UTC).date())


async def test_the_call_rides_on_the_request_beside_its_weight(subject: Subject) -> None:
    query = parsed(BERLIN_PARIS)
    call = UpstreamCall(Priority.KNOWN)
    await subject.upstream.fetch(query, query.points, call)

    assert subject.carried == [(call, query.weight(2))]
    assert call.priority is Priority.KNOWN


async def test_every_attempt_at_a_failing_upstream_carries_the_same_call(
    subject: Subject, fake_open_meteo: FakeOpenMeteo
) -> None:
    await control(fake_open_meteo, "/_gateway/control", {"mode": "error500"})
    query = parsed(BERLIN_PARIS)
    call = UpstreamCall(Priority.REFRESH)
    with pytest.raises(UpstreamUnavailable):
        await subject.upstream.fetch(query, query.points, call)

    assert [carried for carried, _ in subject.carried] == [call] * subject.attempts
