"""The official Python SDK, pointed straight at the fake upstream, decodes the values the
fake generated: the fake speaks Open-Meteo's real wire format before anything is built on
it. The SDK is synchronous (niquests): these tests are plain functions, with no event loop
of their own to block."""

from __future__ import annotations

from datetime import date
from typing import Any

import openmeteo_requests
import pytest
from openmeteo_requests.Client import OpenMeteoRequestsError
from openmeteo_sdk.Variable import Variable

from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.gateway_app import GatewayState
from tests.support.fake_open_meteo.gateway_query import read_query
from tests.support.fake_open_meteo.gateway_series import sections

pytestmark = pytest.mark.e2e
POINTS = {"latitude": [52.52, 48.85, -33.87], "longitude": [13.41, 2.35, 151.21]}


def expected(
    fake: FakeOpenMeteo, path: str, params: dict[str, object], index: int
) -> dict[str, list[float]]:
    """The values the fake generates for the location at `index`, per section/variable."""
    pairs = [(k, str(x)) for k, v in params.items() for x in (v if isinstance(v, list) else [v])]
    state = GatewayState(today=date.fromisoformat(fake.gateway_set()["today"]))
    query = read_query(path, pairs, state.today)
    found = sections(query, query.locations[index], query.models[0], state.run, state.today)
    return {
        f"{s}/{series.variable.name}": series.values
        for s, sec in found.items()
        for series in sec.series
    }


def floats(variable: Any) -> list[float]:
    """The values without numpy (the SDK's *AsNumpy readers need it; nothing else does)."""
    return [variable.Values(i) for i in range(variable.ValuesLength())]


def decoded(response: object, section: str, names: list[str]) -> dict[str, list[float]]:
    table = getattr(response, section)()
    found = {}
    for i, name in enumerate(names):
        variable = table.Variables(i)
        if section == "Current":
            found[f"current/{name}"] = [variable.Value()]
        else:
            found[f"{section.lower()}/{name}"] = floats(variable)
    return found


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_sdk_decodes_several_locations_in_the_request_order(
    fake_gateway_upstream: FakeOpenMeteo, method: str
) -> None:
    hourly = ["temperature_2m", "relative_humidity_2m", "wind_speed_10m"]
    params = {**POINTS, "hourly": hourly, "current": ["weather_code", "temperature_2m"]}
    client = openmeteo_requests.Client()
    responses = client.weather_api(
        f"{fake_gateway_upstream.url}/v1/forecast", params, method=method
    )
    assert [(round(r.Latitude(), 2), round(r.Longitude(), 2)) for r in responses] == list(
        zip(POINTS["latitude"], POINTS["longitude"], strict=True)
    )
    for index, response in enumerate(responses):
        want = expected(
            fake_gateway_upstream, "/v1/forecast", {**params, "format": "flatbuffers"}, index
        )
        got = decoded(response, "Hourly", hourly) | decoded(response, "Current", params["current"])
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], abs=1e-4), key
        assert response.Hourly().Variables(0).Variable() == Variable.temperature
        assert response.Hourly().Variables(0).Altitude() == 2
        assert response.LocationId() == index
    [call] = fake_gateway_upstream.gateway_calls()
    assert (call["method"], call["format"], len(call["points"])) == (method, "flatbuffers", 3)


def test_the_sdk_decodes_one_location_with_daily_times_and_units(
    fake_gateway_upstream: FakeOpenMeteo,
) -> None:
    params = {
        "latitude": 40.71, "longitude": -74.01, "daily": ["sunrise", "temperature_2m_max"],
        "temperature_unit": "fahrenheit", "timezone": "America/New_York", "forecast_days": 3,
    }  # fmt: skip
    [response] = openmeteo_requests.Client().weather_api(
        f"{fake_gateway_upstream.url}/v1/forecast", params
    )
    daily = response.Daily()
    assert daily.Interval() == 86400 and response.Timezone() == b"America/New_York"
    assert response.UtcOffsetSeconds() == -5 * 3600
    sunrise = [
        daily.Variables(0).ValuesInt64(i) for i in range(daily.Variables(0).ValuesInt64Length())
    ]
    want = expected(fake_gateway_upstream, "/v1/forecast", {**params, "format": "flatbuffers"}, 0)
    assert sunrise == want["daily/sunrise"] and len(sunrise) == 3
    assert floats(daily.Variables(1)) == pytest.approx(want["daily/temperature_2m_max"], abs=1e-4)


@pytest.mark.parametrize("path", ["/v1/air-quality", "/v1/archive"])
def test_air_quality_and_archive_answer_on_their_own_paths(
    fake_gateway_upstream: FakeOpenMeteo, path: str
) -> None:
    params = {"latitude": [1.5, 2.5], "longitude": [3.5, 4.5], "hourly": ["pm10"]}
    if path == "/v1/archive":
        params |= {"start_date": "2024-01-01", "end_date": "2024-01-02"}
    responses = openmeteo_requests.Client().weather_api(
        f"{fake_gateway_upstream.url}{path}", params
    )
    assert (
        [r.Hourly().Variables(0).ValuesLength() for r in responses] == [48, 48]
        if path == "/v1/archive"
        else [120, 120]
    )
    assert [c["path"] for c in fake_gateway_upstream.gateway_calls()] == [path]


def test_an_unknown_variable_is_open_meteos_400_which_the_sdk_raises(
    fake_gateway_upstream: FakeOpenMeteo,
) -> None:
    params = {"latitude": 1, "longitude": 2, "hourly": "tempeture_2m"}
    with pytest.raises(OpenMeteoRequestsError, match="invalid String value tempeture_2m"):
        openmeteo_requests.Client().weather_api(f"{fake_gateway_upstream.url}/v1/forecast", params)
    assert [c["status"] for c in fake_gateway_upstream.gateway_calls()] == [400]
