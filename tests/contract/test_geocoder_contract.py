"""Every Geocoder keeps the port's promises about the fetch's UpstreamCall: Open-Meteo's
against its fake server, and the one that remembers places (CachedGeocoder) around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.memory.cache import MemoryCache
from adapters.providers.cached_geocoder import CachedGeocoder
from adapters.providers.open_meteo import OpenMeteoGeocoder
from adapters.upstream_call import CALL
from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import CityNotFound
from domain.model.query import WeatherQuery
from ports.provider import Geocoder
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.unit.fakes import FakeClock

SAN_JOSE = WeatherQuery.parse("San Jose")


@dataclass
class Subject:
    geocoder: Geocoder
    remembers: bool
    carried: list[object] = field(default_factory=list)  # each HTTP request's UpstreamCall


@pytest.fixture(params=["open-meteo", "cached"])
async def subject(
    request: pytest.FixtureRequest, fake_open_meteo: FakeOpenMeteo
) -> AsyncIterator[Subject]:
    carried: list[object] = []

    async def note(sent: httpx.Request) -> None:
        carried.append(sent.extensions.get(CALL))

    async with httpx.AsyncClient(timeout=5.0, event_hooks={"request": [note]}) as client:
        geocoder: Geocoder = OpenMeteoGeocoder(client, base_url=fake_open_meteo.url)
        remembers = request.param == "cached"
        if remembers:
            geocoder = CachedGeocoder(geocoder, MemoryCache(clock=FakeClock()))
        yield Subject(geocoder, remembers, carried)


async def test_each_request_carries_the_call_it_is_made_for(subject: Subject) -> None:
    call = UpstreamCall()
    await subject.geocoder.locate(SAN_JOSE, call)

    assert subject.carried == [call]


async def test_a_place_found_is_known_to_a_geocoder_that_remembers(subject: Subject) -> None:
    call = UpstreamCall()
    await subject.geocoder.locate(SAN_JOSE, call)

    assert call.priority is (Priority.KNOWN if subject.remembers else Priority.UNKNOWN)


async def test_a_place_remembered_is_known_and_costs_no_request(subject: Subject) -> None:
    await subject.geocoder.locate(SAN_JOSE, UpstreamCall())
    again = UpstreamCall()
    await subject.geocoder.locate(SAN_JOSE, again)

    if subject.remembers:
        assert (again.priority, len(subject.carried)) == (Priority.KNOWN, 1)
    else:
        assert (again.priority, len(subject.carried)) == (Priority.UNKNOWN, 2)


async def test_finding_a_place_never_lowers_a_refresh(subject: Subject) -> None:
    call = UpstreamCall(Priority.REFRESH)
    await subject.geocoder.locate(SAN_JOSE, call)

    assert call.priority is Priority.REFRESH


async def test_a_name_not_found_stays_unknown(subject: Subject) -> None:
    call = UpstreamCall()
    with pytest.raises(CityNotFound):
        await subject.geocoder.locate(WeatherQuery.parse("Nowhere Special"), call)

    assert call.priority is Priority.UNKNOWN
