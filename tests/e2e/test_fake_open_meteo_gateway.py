"""The gateway's fake upstream keeps its promises: the call log's weight is the model's,
a new model run changes the values and meta.json, the failure knobs fail as Open-Meteo does,
and the /weather provider's own calls still reach the original fake."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from adapters.providers.open_meteo_wire import WireError, split_flatbuffers, split_json
from domain.model.gateway import Api, parse_request
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = pytest.mark.e2e
TWO = [("latitude", "52.52,48.85"), ("longitude", "13.41,2.35")]
TWENTY = ",".join(f"temperature_{n}hPa" for n in range(100, 1100, 50))


@pytest.mark.parametrize(
    "extra",
    [
        [("hourly", "temperature_2m")],
        [("hourly", TWENTY), ("forecast_days", "16")],
        [("hourly", TWENTY), ("past_days", "30"), ("models", "gfs_seamless,icon_seamless")],
        [("daily", "sunrise,sunset"), ("forecast_days", "16")],
    ],
)
def test_the_logged_weight_is_the_one_the_request_model_computes(
    fake_gateway_upstream: FakeOpenMeteo, extra: list[tuple[str, str]]
) -> None:
    today = date.fromisoformat(fake_gateway_upstream.gateway_set()["today"])
    request = parse_request(Api.FORECAST, [*TWO, *extra], coord_grid=0.01, today=today)
    response = httpx.get(
        f"{fake_gateway_upstream.url}/v1/forecast", params=request.upstream_params(request.points)
    )
    assert response.status_code == 200
    [call] = fake_gateway_upstream.gateway_calls()
    assert call["weight"] == pytest.approx(request.weight(2))
    assert call["points"] == [[52.52, 13.41], [48.85, 2.35]] and call["apikey"] is False


def test_a_new_model_run_changes_the_values_and_the_metadata(
    fake_gateway_upstream: FakeOpenMeteo,
) -> None:
    url = f"{fake_gateway_upstream.url}/v1/forecast"
    params = [*TWO, ("hourly", "temperature_2m")]
    meta_url = f"{fake_gateway_upstream.url}/data/dwd_icon/static/meta.json"
    before, meta = httpx.get(url, params=params).content, httpx.get(meta_url).json()
    assert httpx.get(url, params=params).content == before  # deterministic within a run
    assert meta["update_interval_seconds"] == 3600
    assert fake_gateway_upstream.gateway_set(new_run=True)["run"] == 2
    assert httpx.get(url, params=params).content != before
    assert (
        httpx.get(meta_url).json()["last_run_availability_time"]
        >= meta["last_run_availability_time"]
    )
    assert (
        httpx.get(f"{fake_gateway_upstream.url}/data/unknown_model/static/meta.json").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("mode", "status", "reason"),
    [
        ("error500", 500, "Internal server error"),
        ("error429", 429, "Minutely API request limit exceeded. Please try again in one minute."),
    ],
)
def test_failure_modes_answer_in_open_meteos_shape(
    fake_gateway_upstream: FakeOpenMeteo, mode: str, status: int, reason: str
) -> None:
    fake_gateway_upstream.gateway_set(mode=mode)
    response = httpx.post(
        f"{fake_gateway_upstream.url}/v1/archive", data={"latitude": "1", "longitude": "2"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": True, "reason": "Both 'start_date' and 'end_date' must be set in the url"},
    )
    response = httpx.get(f"{fake_gateway_upstream.url}/v1/forecast", params=TWO)
    assert (response.status_code, response.json()) == (status, {"error": True, "reason": reason})
    assert [c["status"] for c in fake_gateway_upstream.gateway_calls()] == [400, status]


@pytest.mark.parametrize("fmt", ["json", "flatbuffers"])
def test_a_truncated_answer_is_refused_by_the_codec(
    fake_gateway_upstream: FakeOpenMeteo, fmt: str
) -> None:
    fake_gateway_upstream.gateway_set(mode="truncated")
    params = [*TWO, ("hourly", "rain"), ("format", fmt), ("location_id", "1,1")]
    body = httpx.get(f"{fake_gateway_upstream.url}/v1/forecast", params=params).content
    with pytest.raises(WireError):
        (split_json if fmt == "json" else split_flatbuffers)(body, 2)


def test_latency_delays_the_answer_and_is_logged_as_one_call(
    fake_gateway_upstream: FakeOpenMeteo,
) -> None:
    fake_gateway_upstream.gateway_set(latency_s=0.2)
    with httpx.Client(timeout=5) as client:
        assert (
            client.get(
                f"{fake_gateway_upstream.url}/v1/air-quality", params=[*TWO, ("hourly", "pm10")]
            ).status_code
            == 200
        )
    assert [c["path"] for c in fake_gateway_upstream.gateway_calls()] == ["/v1/air-quality"]


def test_the_weather_providers_own_calls_still_reach_the_original_fake(
    fake_gateway_upstream: FakeOpenMeteo,
) -> None:
    current = "temperature_2m,relative_humidity_2m,weather_code"
    response = httpx.get(
        f"{fake_gateway_upstream.url}/v1/forecast",
        params={"latitude": 1, "longitude": 2, "current": current},
    )
    assert response.status_code == 200 and "location_id" not in response.json()
    assert fake_gateway_upstream.calls()["forecast"] == 1
    assert fake_gateway_upstream.gateway_calls() == []
