"""The wire codec: answers cut per location and joined again are, byte for byte, what the
upstream sends for the client's own request; anything malformed or too large is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import import_module
from types import SimpleNamespace
from typing import Any

import flatbuffers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openmeteo_sdk.WeatherApiResponse import WeatherApiResponse

from adapters.providers import open_meteo_wire_frames as frames
from adapters.providers.open_meteo_wire import (
    WireError,
    join_flatbuffers,
    join_json,
    split_flatbuffers,
    split_json,
)
from domain.model.gateway import MAX_LOCATIONS_PER_CALL, Api, GatewayRequest, parse_request
from tests.support.fake_open_meteo.gateway_app import GatewayState, answer
from tests.support.fake_open_meteo.gateway_query import read_query

TODAY = date(2026, 12, 6)
sdk_client = import_module("openmeteo_requests.Client")  # the module; the package exports the class
LATS = ["52.52", "48.85", "-33.87", "40.71", "35.68"]
LONS = ["13.41", "2.35", "151.21", "-74.01", "139.69"]
Pairs = list[tuple[str, str]]


def upstream(pairs: Pairs, path: str = "/v1/forecast") -> bytes:
    """What the (fake) upstream answers to `pairs`."""
    return answer(GatewayState(today=TODAY), read_query(path, pairs, TODAY))


def client_pairs(lats: list[str], lons: list[str], extra: Pairs) -> Pairs:
    return [*(("latitude", x) for x in lats), *(("longitude", x) for x in lons), *extra]


def assembled(request: GatewayRequest, calls: list[list[int]]) -> list[bytes]:
    """Each point's part, fetched in `calls` (upstream calls by point index), in order."""
    parts: dict[int, bytes] = {}
    for indices in calls:
        points = [request.points[i] for i in indices]
        body = upstream(request.upstream_params(points), request.api.path)
        if request.format.value == "json":
            split = split_json(body, len(points))
        else:
            split = split_flatbuffers(
                body, len(points), per_location=request.messages_per_location()
            )
        parts |= dict(zip(indices, split, strict=True))
    return [parts[i] for i in range(len(request.points))]


EXTRA: Pairs = [
    ("hourly", "temperature_2m,rain"),
    ("current", "weather_code"),
    ("timezone", "auto"),
]


@pytest.mark.parametrize(
    "calls", [[[0, 1, 2, 3, 4]], [[3, 1], [0, 2, 4]], [[4], [3], [2], [1], [0]]]
)
def test_json_parts_from_any_calls_join_to_the_upstreams_own_array(calls: list[list[int]]) -> None:
    pairs = client_pairs(LATS, LONS, EXTRA)
    request = parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)
    assert join_json(assembled(request, calls), single=False) == upstream(pairs)


def test_one_location_is_the_upstreams_object_not_an_array() -> None:
    pairs = client_pairs(LATS[3:4], LONS[3:4], EXTRA)
    request = parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)
    [part] = assembled(request, [[0]])
    assert join_json([part], single=True) == upstream(pairs)
    assert upstream(pairs).startswith(b"{") and b"location_id" not in upstream(pairs)


def test_a_point_asked_twice_is_an_array_of_two_with_their_own_ids() -> None:
    pairs = client_pairs(LATS[:1] * 2, LONS[:1] * 2, EXTRA)
    request = parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)
    [part] = split_json(upstream(request.upstream_params(request.points[:1])), 1)
    assert join_json([part, part], single=False) == upstream(pairs)


@pytest.mark.parametrize("models", [None, "gfs_seamless,icon_seamless"])
@pytest.mark.parametrize("calls", [[[0, 1, 2, 3, 4]], [[2, 0], [4, 1, 3]]])
def test_flatbuffers_parts_join_to_the_upstreams_messages(
    models: str | None, calls: list[list[int]]
) -> None:
    extra = [*EXTRA, ("format", "flatbuffers"), *([("models", models)] if models else [])]
    pairs = client_pairs(LATS, LONS, extra)
    request = parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)
    joined, direct = join_flatbuffers(assembled(request, calls)), upstream(pairs)
    per = request.messages_per_location()
    ours, theirs = _messages(joined), _messages(direct)
    assert len(ours) == len(theirs) == 5 * per
    # Byte for byte after the first location; its location_id 0, which Open-Meteo's builder
    # leaves out, is absent from ours too (its 8 bytes left unread in the table).
    assert ours[per:] == theirs[per:]
    assert [_has_location_id(m) for m in ours] == [_has_location_id(m) for m in theirs]
    assert [_has_location_id(m) for m in ours] == [False] * per + [True] * 4 * per
    assert [_every_field(m) for m in ours] == [_every_field(m) for m in theirs]


def test_a_root_sharing_its_vtable_gets_location_id_0_written_and_the_vtable_kept() -> None:
    b = flatbuffers.Builder(64)
    for _ in range(2):  # the second table (the root) reuses the first one's vtable
        b.StartObject(15)
        b.PrependInt64Slot(4, 1, 0)
        root = b.EndObject()
    b.FinishSizePrefixed(root)
    message = bytes(b.Output())
    [numbered] = _messages(join_flatbuffers([message]))
    changed = [
        at for at, pair in enumerate(zip(message, numbered, strict=True)) if len(set(pair)) > 1
    ]
    assert WeatherApiResponse.GetRootAs(numbered, 4).LocationId() == 0
    assert _has_location_id(numbered) and len(changed) == 1  # the value's low byte, 1 -> 0


def _has_location_id(message: bytes) -> bool:
    """Whether the field is in the message, as a FlatBuffers reader finds it (vtable 12)."""
    return WeatherApiResponse.GetRootAs(message, 4)._tab.Offset(12) != 0


def test_the_sdk_reads_an_assembled_answer_as_it_reads_the_upstreams() -> None:
    pairs = client_pairs(LATS, LONS, [*EXTRA, ("format", "flatbuffers")])
    request = parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)
    ours = _sdk_read(join_flatbuffers(assembled(request, [[4, 0], [2, 3, 1]])))
    assert ours == _sdk_read(upstream(pairs))
    assert [location[2] for location in ours] == [0, 1, 2, 3, 4]  # LocationId, in order


def _sdk_read(body: bytes) -> list[tuple[object, ...]]:
    """The official SDK's own reading of a FlatBuffers body (what Client.weather_api runs)."""
    response = SimpleNamespace(content=body)
    return [_decoded_root(r) for r in sdk_client._process_response(response)]  # type: ignore[arg-type]


def test_archive_and_air_quality_parts_join_too() -> None:
    archive = client_pairs(
        LATS[:2],
        LONS[:2],
        [("daily", "sunrise"), ("start_date", "2024-01-01"), ("end_date", "2024-01-31")],
    )
    request = parse_request(Api.ARCHIVE, archive, coord_grid=0.01, today=TODAY)
    assert join_json(assembled(request, [[1], [0]]), single=False) == upstream(
        archive, "/v1/archive"
    )
    air = client_pairs(LATS[:3], LONS[:3], [("hourly", "pm10,pm2_5")])
    request = parse_request(Api.AIR_QUALITY, air, coord_grid=0.01, today=TODAY)
    assert join_json(assembled(request, [[2, 0], [1]]), single=False) == upstream(
        air, "/v1/air-quality"
    )


def _messages(body: bytes) -> list[bytes]:
    found, at = [], 0
    while at < len(body):
        size = int.from_bytes(body[at : at + 4], "little")
        found.append(body[at : at + 4 + size])
        at += 4 + size
    return found


_ROOT_FIELDS = (
    "Latitude", "Longitude", "Elevation", "GenerationTimeMilliseconds", "LocationId", "Model",
    "UtcOffsetSeconds", "Timezone", "TimezoneAbbreviation",
)  # fmt: skip
_SECTIONS = ("Current", "Daily", "Hourly", "Minutely15", "Weekly")
_VARIABLE_FIELDS = (
    "Variable", "Unit", "Value", "Altitude", "Aggregation", "PressureLevel", "Depth",
    "DepthTo", "EnsembleMember", "PreviousDay", "Probability",
)  # fmt: skip


def _every_field(message: bytes) -> dict[str, object]:
    """Every field of the schema the official SDK reads, with each section's variables."""
    root = WeatherApiResponse.GetRootAs(message, 4)
    fields: dict[str, object] = {name: getattr(root, name)() for name in _ROOT_FIELDS}
    fields["Monthly"] = root.Monthly() is None
    for name in _SECTIONS:
        section = getattr(root, name)()
        fields[name] = section and (
            section.Time(),
            section.TimeEnd(),
            section.Interval(),
            [_variable(section.Variables(i)) for i in range(section.VariablesLength())],
        )
    return fields


def _variable(v: Any) -> tuple[object, ...]:
    values = [v.Values(j) for j in range(v.ValuesLength())]
    int64s = [v.ValuesInt64(j) for j in range(v.ValuesInt64Length())]
    return (*(getattr(v, name)() for name in _VARIABLE_FIELDS), values, int64s)


def _decoded_root(r: WeatherApiResponse) -> tuple[object, ...]:
    hourly = r.Hourly()
    values = [
        hourly.Variables(i).Values(j)
        for i in range(hourly.VariablesLength())
        for j in range(hourly.Variables(i).ValuesLength())
    ]
    return (
        r.Latitude(),
        r.Longitude(),
        r.LocationId(),
        r.Model(),
        r.Timezone(),
        r.Current().Variables(0).Value(),
        hourly.Time(),
        values,
    )


# --- refusals: exactly the expected well-formed parts, within bounds -----------------------

ONE = b'{"latitude":1.0,"longitude":2.0,"timezone_abbreviation":"GMT","hourly":{}}'


@pytest.mark.parametrize(
    ("body", "expected", "why"),
    [
        (b"[" + ONE + b"]", 1, "not the JSON"),  # one location comes as an object
        (ONE, 2, "not the JSON"),  # several come as an array
        (b"[" + ONE + b"," + ONE + b"]", 3, "2 locations in the answer, 3 asked for"),
        (b"[" + ONE + b",[1]]", 2, "not an object"),
        (b"[" + ONE + b"," + ONE[:-9], 2, "not the JSON"),
        (b"<html>Bad gateway</html>", 1, "not the JSON"),
        (ONE, 0, "out of bounds"),
        (ONE, MAX_LOCATIONS_PER_CALL + 1, "out of bounds"),
    ],
)  # fmt: skip
def test_a_json_body_that_is_not_exactly_the_asked_objects_is_refused(
    body: bytes, expected: int, why: str
) -> None:
    with pytest.raises(WireError, match=why):
        split_json(body, expected)


def test_a_json_part_is_accepted_up_to_its_bound_and_refused_past_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(frames, "MAX_PART_BYTES", len(ONE))
    assert split_json(b"[" + ONE + b"," + ONE + b"]", 2) == [ONE, ONE]
    bigger = ONE.replace(b"GMT", b"GMTX")
    with pytest.raises(WireError, match="exceeds"):
        split_json(b"[" + ONE + b"," + bigger + b"]", 2)


def _fb(n: int) -> bytes:
    pairs = client_pairs(
        LATS[:n],
        LONS[:n],
        [("hourly", "rain"), ("format", "flatbuffers"), ("location_id", ",".join("1" * n))],
    )
    return upstream(pairs)


def test_flatbuffers_split_is_exact_about_count_and_framing() -> None:
    body = _fb(3)
    assert b"".join(split_flatbuffers(body, 3)) == body
    for bad, expected, why in [
        (body, 2, "more than 2"),
        (body, 4, "3 locations in the answer, 4 asked for"),
        (body[:-1], 3, "cut short"),
        (body + b"\x00\x00", 3, "more than 3"),
        (body + b"\x00\x00", 4, "cut short in its size prefix"),
        (b"\x00\x00\x00\x00" + body, 3, "out of bounds"),
        (b"\x08\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\x00", 1, "root lies outside"),
        (b"Unexpected error while streaming", 1, "out of bounds"),
    ]:
        with pytest.raises(WireError, match=why):
            split_flatbuffers(bad, expected)


def test_a_flatbuffers_message_is_accepted_up_to_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _fb(1)
    monkeypatch.setattr(frames, "MAX_PART_BYTES", len(body) - 4)
    assert split_flatbuffers(body, 1) == [body]
    monkeypatch.setattr(frames, "MAX_PART_BYTES", len(body) - 5)
    with pytest.raises(WireError, match="out of bounds"):
        split_flatbuffers(body, 1)


def test_joining_refuses_parts_it_cannot_number() -> None:
    with pytest.raises(WireError, match="one part"):
        join_json([ONE, ONE], single=True)
    with pytest.raises(WireError, match="header"):
        join_json([ONE, b'{"no":"header"}'], single=False)
    without_id = upstream(
        client_pairs(LATS[:1], LONS[:1], [("hourly", "rain"), ("format", "flatbuffers")])
    )
    assert join_flatbuffers([without_id]) == without_id  # first place: absent is 0 already
    with pytest.raises(WireError, match="without a location_id"):
        join_flatbuffers([without_id, without_id])


def test_a_200_that_is_not_a_locations_answer_is_refused_before_it_is_cached() -> None:
    with pytest.raises(WireError, match="header"):
        split_json(b'{"error":true,"reason":"Internal error"}', 1)
    with pytest.raises(WireError, match="header"):
        split_json(b"[" + ONE + b',{"error":true}]', 2)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(1, 4))
def test_any_bytes_split_or_are_refused_with_a_wire_error(body: bytes, expected: int) -> None:
    for split in (split_json, split_flatbuffers):
        try:
            parts = split(body, expected)
        except WireError:
            continue
        assert len(parts) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=64), min_size=1, max_size=3))
def test_any_parts_join_or_are_refused_with_a_wire_error(parts: list[bytes]) -> None:
    """Joining only renumbers: what it returns is as long as the parts, give or take the ids."""
    joined = _or_refused(lambda: join_flatbuffers(parts))
    assert joined is None or len(joined) == sum(map(len, parts))  # ids are set in place
    array = _or_refused(lambda: join_json(parts, single=False))
    assert array is None or array.startswith(b"[{")


def _or_refused(join: Callable[[], bytes]) -> bytes | None:
    try:
        return join()
    except WireError:
        return None


def test_a_location_id_is_renumbered_wherever_it_sits_in_the_header() -> None:
    head = b'{"latitude":1.0,"timezone_abbreviation":"GMT"'
    moved = head + b',"location_id":7,"elevation":3.0,"hourly_units":{"time":"iso8601"}}'
    joined = join_json([ONE, moved, moved], single=False)
    assert joined.count(b'"location_id"') == 2
    assert b',"location_id":1,"elevation"' in joined and b',"location_id":2,"elevation"' in joined
    assert (
        join_json([moved], single=True)
        == head + b',"elevation":3.0,"hourly_units":{"time":"iso8601"}}'
    )
