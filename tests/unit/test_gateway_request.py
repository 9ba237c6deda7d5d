"""The gateway's request model: what it accepts, how it writes it, what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from domain.model.gateway import (
    MAX_LOCATIONS_PER_CALL,
    Api,
    GatewayBadRequest,
    GatewayRequest,
    Point,
    WireFormat,
    parse_request,
)
from domain.model.gateway_params import (
    MAX_LIST_CHARS,
    MAX_LOCATIONS,
    MAX_MODELS,
    MAX_NAME_CHARS,
    MAX_NUMBER_CHARS,
    MAX_PAIRS,
    MAX_VARIABLES,
)

TODAY = date(2026, 12, 6)
BERLIN = [("latitude", "52.52"), ("longitude", "13.41")]


def parse(pairs: list[tuple[str, str]], api: Api = Api.FORECAST) -> GatewayRequest:
    return parse_request(api, pairs, coord_grid=0.01, today=TODAY)


def refusal(pairs: list[tuple[str, str]], api: Api = Api.FORECAST) -> str:
    with pytest.raises(GatewayBadRequest) as caught:
        parse(pairs, api)
    return caught.value.reason


def test_repeated_keys_and_comma_lists_are_one_query() -> None:
    sdk = parse([
        ("latitude", "52.52"), ("latitude", "48.85"), ("longitude", "13.41"),
        ("longitude", "2.35"), ("hourly", "temperature_2m"), ("hourly", "rain"),
    ])  # fmt: skip
    plain = parse([
        ("hourly", "temperature_2m,rain"), ("longitude", "13.41,2.35"),
        ("latitude", "52.52,48.85"),
    ])  # fmt: skip
    assert sdk == plain
    assert sdk.points == (Point(52.52, 13.41), Point(48.85, 2.35))


def test_explicit_defaults_and_the_apikey_are_dropped() -> None:
    defaults = [("temperature_unit", "celsius"), ("wind_speed_unit", "kmh"),
                ("precipitation_unit", "mm"), ("timeformat", "iso8601"), ("timezone", "GMT"),
                ("past_days", "0"), ("forecast_days", "7"), ("models", "best_match"),
                ("cell_selection", "land"), ("format", "json"), ("apikey", "secret")]  # fmt: skip
    assert parse([*BERLIN, ("hourly", "rain"), *defaults]) == parse([*BERLIN, ("hourly", "rain")])


def test_the_older_windspeed_unit_is_the_same_query_as_wind_speed_unit() -> None:
    older = parse([*BERLIN, ("hourly", "wind_speed_10m"), ("windspeed_unit", "mph")])
    assert older == parse([*BERLIN, ("hourly", "wind_speed_10m"), ("wind_speed_unit", "mph")])
    both = [*BERLIN, ("windspeed_unit", "mph"), ("wind_speed_unit", "kn")]
    assert refusal(both) == "Parameter 'wind_speed_unit' must be given once"
    assert refusal([*BERLIN, ("windspeed_unit", "x")], Api.AIR_QUALITY).startswith(
        "Parameter 'windspeed_unit' is not supported"
    )


def test_the_variable_order_is_kept_because_the_answer_follows_it() -> None:
    one = parse([*BERLIN, ("hourly", "rain,temperature_2m")])
    other = parse([*BERLIN, ("hourly", "temperature_2m,rain")])
    assert one.location_key(one.points[0]) != other.location_key(other.points[0])
    assert ("hourly", "rain,temperature_2m") in one.upstream_params(one.points)


def test_points_in_one_grid_cell_share_a_key_and_the_format_splits_keys() -> None:
    near = parse([("latitude", "52.5201"), ("longitude", "13.4099")])
    far = parse(BERLIN)
    assert near.location_key(near.points[0]) == far.location_key(far.points[0])
    flat = parse([*BERLIN, ("format", "flatbuffers")])
    assert flat.format is WireFormat.FLATBUFFERS
    assert flat.location_key(flat.points[0]) != far.location_key(far.points[0])
    assert ("format", "flatbuffers") in flat.upstream_params(flat.points)


def test_upstream_params_carry_only_the_given_points_in_their_order() -> None:
    request = parse([("latitude", "1,2,3"), ("longitude", "4,5,6"), ("daily", "sunrise")])
    query = request.upstream_params([request.points[2], request.points[0]])
    assert query == [
        ("latitude", "3.0,1.0"), ("longitude", "6.0,4.0"), ("daily", "sunrise"),
        ("location_id", "1,1"),
    ]  # fmt: skip


def test_a_timezone_per_location_follows_its_point() -> None:
    request = parse([("latitude", "1,2"), ("longitude", "3,4"), ("timezone", "auto,GMT")])
    first, second = request.points
    assert first.extras == (("timezone", "auto"),) and second.extras == ()
    assert ("timezone", "auto,GMT") in request.upstream_params(request.points)
    alone = [("latitude", "2.0"), ("longitude", "4.0"), ("location_id", "1")]
    assert request.upstream_params([second]) == alone
    shared = parse([("latitude", "1,2"), ("longitude", "3,4"), ("timezone", "auto")])
    assert ("timezone", "auto") in shared.upstream_params(shared.points)
    assert shared.location_key(shared.points[0]) == request.location_key(first)


def test_an_elevation_per_location_is_part_of_the_point() -> None:
    request = parse([("latitude", "1,2"), ("longitude", "3,4"), ("elevation", "100,nan")])
    assert [p.extras for p in request.points] == [
        (("elevation", "100.0"),),
        (("elevation", "nan"),),
    ]
    assert ("elevation", "100.0,nan") in request.upstream_params(request.points)


TWO = [("latitude", "1,2"), ("longitude", "3,4")]
DATES = [("start_date", "2026-01-01"), ("end_date", "2026-01-02")]
REFUSALS: list[tuple[list[tuple[str, str]], str]] = [
    ([("latitude", "91"), ("longitude", "0")],
     "Latitude must be in range of -90 to 90°. Given: 91.0."),
    ([("latitude", "0"), ("longitude", "-180.5")],
     "Longitude must be in range of -180 to 180°. Given: -180.5."),
    ([("latitude", "nan"), ("longitude", "0")],
     "Latitude must be in range of -90 to 90°. Given: nan."),
    ([("latitude", "1,2"), ("longitude", "3")],
     "Parameter 'latitude' and 'longitude' must have the same number of elements"),
    ([("longitude", "3")], "Parameter 'latitude' and 'longitude' must not be empty"),
    ([*BERLIN, ("forecast_days", "17")],
     "Forecast days is invalid. Allowed range 0 to 16. Given 17."),
    ([*BERLIN, ("past_days", "93")], "Past days is invalid. Allowed range 0 to 92. Given 93."),
    ([*BERLIN, ("start_date", "2026-01-01")],
     "Both 'start_date' and 'end_date' must be set in the url"),
    ([*BERLIN, ("start_date", "2026-01-02"), ("end_date", "2026-01-01")],
     "End-date must be larger or equals than start-date"),
    ([*BERLIN, *DATES, ("past_days", "1")],
     "Parameter 'past_days' is mutually exclusive with 'start_date' and 'end_date'"),
    ([*BERLIN, ("timezone", "Europe/Berlin;drop")], "Invalid timezone"),
    ([*TWO, ("timezone", "auto,auto,auto")],
     "Parameter 'timezone' and coordinates must have the same number of elements"),
    ([*TWO, ("elevation", "1,2,3")],
     "Parameter 'elevation' must have the same number of elements as coordinates"),
    ([*BERLIN, ("current_weather", "true")],
     "Parameter 'current_weather' is not supported by /v1/forecast"),
    ([*BERLIN, ("temperature_unit", "kelvin")],
     "Parameter 'temperature_unit' must be one of celsius, fahrenheit"),
    ([*BERLIN, ("hourly", "temperature_2m;DROP")],
     "Parameter 'hourly' has an invalid name: 'temperature_2m;DROP'"),
    ([*BERLIN, ("format", "csv")], "Parameter 'format' must be json or flatbuffers"),
    ([*BERLIN, ("timeformat", "iso8601"), ("timeformat", "unixtime")],
     "Parameter 'timeformat' must be given once"),
    ([*BERLIN, ("start_date", "2026-02-30"), ("end_date", "2026-03-01")],
     "Parameter 'start_date' must be a date as yyyy-mm-dd"),
    ([*BERLIN, ("elevation", "1e9")], "Parameter 'elevation' must be a number from -1000 to 10000"),
]  # fmt: skip


@pytest.mark.parametrize(("pairs", "reason"), REFUSALS)
def test_refusals_name_what_is_wrong(pairs: list[tuple[str, str]], reason: str) -> None:
    assert refusal(pairs) == reason


def test_each_api_accepts_only_its_own_parameters() -> None:
    assert refusal([*BERLIN, ("daily", "x")], Api.AIR_QUALITY).startswith("Parameter 'daily'")
    assert refusal([*BERLIN, ("past_days", "1")], Api.ARCHIVE).startswith("Parameter 'past_days'")
    assert refusal(BERLIN, Api.ARCHIVE) == "Both 'start_date' and 'end_date' must be set in the url"
    aq = parse(
        [*BERLIN, ("hourly", "pm10"), ("domains", "cams_europe"), ("forecast_days", "5")],
        Api.AIR_QUALITY,
    )
    assert aq.params == (("domains", "cams_europe"), ("hourly", "pm10"))


def test_a_variable_list_just_inside_its_bound_passes_and_just_outside_is_refused() -> None:
    inside = ",".join(["v"] * ((MAX_LIST_CHARS + 1) // 2))  # v,v,...: MAX_LIST_CHARS - 1 or so
    assert len(inside) <= MAX_LIST_CHARS
    with pytest.raises(GatewayBadRequest, match="more than 200 names"):
        parse([*BERLIN, ("hourly", inside)])  # short enough, but too many names
    parse([*BERLIN, ("hourly", ",".join(["temperature_2m"] * 200))])
    assert "longer than 4000" in refusal([*BERLIN, ("hourly", "t" * 5000)])
    assert "longer than 4000" in refusal([*BERLIN, ("hourly", "t" * (MAX_LIST_CHARS + 1))])


def test_locations_just_inside_the_limit_pass_and_one_more_is_refused() -> None:
    n = MAX_LOCATIONS
    many = [("latitude", ",".join(["1.5"] * n)), ("longitude", ",".join(["2.5"] * n))]
    assert len(parse(many).points) == n == MAX_LOCATIONS_PER_CALL
    more = [("latitude", ",".join(["1.5"] * (n + 1))), ("longitude", ",".join(["2.5"] * (n + 1)))]
    assert refusal(more) == f"Only up to {n} locations can be requested at once"


@pytest.mark.parametrize(
    ("extra", "weight"),
    [
        ([("hourly", "a,b,c")], 1.0),  # small calls weigh one
        ([("hourly", ",".join(f"v{i}" for i in range(20)))], 2.0),  # 20 variables, 7 days
        ([("hourly", ",".join(f"v{i}" for i in range(20))), ("forecast_days", "16")], 2 * 16 / 14),
        ([("hourly", ",".join(f"v{i}" for i in range(10))), ("models", "a,b,c")], 3.0),
        ([("hourly", ",".join(f"v{i}" for i in range(10))), ("past_days", "21")], 2.0),  # 28 days
        ([("hourly", ",".join(f"v{i}" for i in range(10))), ("forecast_hours", "12")], 1.0),
    ],
)  # fmt: skip
def test_the_weight_is_open_meteos(extra: list[tuple[str, str]], weight: float) -> None:
    request = parse([*BERLIN, *extra])
    assert request.weight(1) == pytest.approx(weight)
    assert request.weight(25) == pytest.approx(25 * weight)


def test_an_archive_range_ending_more_than_five_days_ago_is_settled() -> None:
    def kind(end: str) -> str:
        dates = [("start_date", "2026-11-01"), ("end_date", end), ("daily", "sunrise")]
        return parse([*BERLIN, *dates], Api.ARCHIVE).lifetime_kind()

    assert kind("2026-11-30") == "archive-settled"  # six days before TODAY
    assert kind("2026-12-01") == "forecast"  # five days: Open-Meteo may still revise it
    forecast = parse([*BERLIN, ("start_date", "2020-01-01"), ("end_date", "2020-01-02")])
    assert forecast.lifetime_kind() == "forecast"


def test_flatbuffers_answers_hold_one_message_per_location_and_model() -> None:
    models = [*BERLIN, ("models", "gfs_seamless,icon_seamless")]
    assert parse([*models, ("format", "flatbuffers")]).messages_per_location() == 2
    assert parse(models).messages_per_location() == 1  # JSON: one object, models inside
    assert parse([*BERLIN, ("format", "flatbuffers")]).messages_per_location() == 1


def test_api_paths() -> None:
    assert [api.path for api in Api] == ["/v1/forecast", "/v1/air-quality", "/v1/archive"]


def _names(n: int, width: int = 4) -> str:
    return ",".join(f"v{i:0{width - 1}d}" for i in range(n))


# (a request just inside a bound, the same just outside it, the refusal's words)
BOUNDS: list[tuple[list[tuple[str, str]], list[tuple[str, str]], str]] = [
    ([*BERLIN, ("hourly", _names(MAX_VARIABLES))], [*BERLIN, ("hourly", _names(MAX_VARIABLES + 1))],
     "more than 200 names"),
    ([*BERLIN, ("models", _names(MAX_MODELS))], [*BERLIN, ("models", _names(MAX_MODELS + 1))],
     "more than 20 names"),
    ([*BERLIN, ("hourly", "t" * MAX_NAME_CHARS)], [*BERLIN, ("hourly", "t" * (MAX_NAME_CHARS + 1))],
     "invalid name"),
    ([*BERLIN, ("tilt", "0" * (MAX_NUMBER_CHARS - 2) + ".5")],
     [*BERLIN, ("tilt", "0" * (MAX_NUMBER_CHARS - 1) + ".5")], "Parameter 'tilt'"),
    ([*BERLIN, ("tilt", "90")], [*BERLIN, ("tilt", "90.001")], "Parameter 'tilt'"),
    ([*BERLIN, ("elevation", "10000")], [*BERLIN, ("elevation", "10000.5")],
     "Parameter 'elevation'"),
    ([*BERLIN, ("forecast_days", "16")], [*BERLIN, ("forecast_days", "17")], "Forecast days"),
    ([*BERLIN, ("past_days", "92")], [*BERLIN, ("past_days", "93")], "Past days"),
    ([*BERLIN, ("forecast_hours", "384")], [*BERLIN, ("forecast_hours", "385")], "forecast_hours"),
    ([("latitude", "90"), ("longitude", "-180")], [("latitude", "90.0001"), ("longitude", "-180")],
     "Latitude must be in range"),
    ([*BERLIN, *[("apikey", "k")] * (MAX_PAIRS - 2)],
     [*BERLIN, *[("apikey", "k")] * (MAX_PAIRS - 1)], f"at most {MAX_PAIRS} parameters"),
]  # fmt: skip


@pytest.mark.parametrize(("inside", "outside", "why"), BOUNDS)
def test_each_bound_passes_just_inside_and_refuses_just_outside(
    inside: list[tuple[str, str]], outside: list[tuple[str, str]], why: str
) -> None:
    parse(inside)
    assert why in refusal(outside)


def test_one_call_cannot_carry_points_with_and_without_their_own_elevation() -> None:
    request = parse([("latitude", "1,2"), ("longitude", "3,4"), ("elevation", "100")])
    with pytest.raises(ValueError, match="elevation is set for some points only"):
        request.upstream_params([request.points[0], Point(5.0, 6.0)])
