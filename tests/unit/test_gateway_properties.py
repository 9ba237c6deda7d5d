"""Properties of the gateway's parser: any rewriting of one query keys the same entries,
and no input, however odd, gets past the bounds or raises anything but a 400."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.gateway import Api, GatewayBadRequest, GatewayRequest, parse_request
from domain.model.gateway_params import MAX_LIST_CHARS, MAX_LOCATIONS, PARAMS

TODAY = date(2026, 12, 6)
VARIABLES = ("temperature_2m", "rain", "wind_speed_10m", "cloud_cover", "temperature_850hPa")
DEFAULTS = [(k, p.default) for k, p in PARAMS["forecast"].items() if p.default is not None]
Pairs = list[tuple[str, str]]
OFFSETS = st.sampled_from((0, 0.004, -0.004))


def parse(pairs: Pairs) -> GatewayRequest:
    return parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=TODAY)


cells = st.tuples(st.integers(-8999, 8999), st.integers(-17999, 17999))  # in hundredths
queries = st.fixed_dictionaries(
    {
        "cells": st.lists(cells, min_size=1, max_size=4),
        "hourly": st.lists(st.sampled_from(VARIABLES), max_size=5),
        "daily": st.lists(st.sampled_from(("sunrise", "sunset", "uv_index_max")), max_size=3),
        "unit": st.sampled_from(("celsius", "fahrenheit")),
        "days": st.integers(0, 16),
        "timezone": st.sampled_from(("GMT", "auto", "Europe/Berlin")),
        "elevation": st.sampled_from((None, "100", "nan", "-5.5")),
        "format": st.sampled_from(("json", "flatbuffers")),
    }
)


def written(query: dict[str, Any], draw: Any) -> Pairs:
    """One of the many ways a client may write `query`."""
    lists: dict[str, list[str]] = {
        # Anywhere in its cell: a client's 52.5201 is the cell 52.52.
        "latitude": [f"{lat / 100 + draw(OFFSETS):.4f}" for lat, _ in query["cells"]],
        "longitude": [f"{lon / 100:.2f}" for _, lon in query["cells"]],
        "hourly": query["hourly"],
        "daily": query["daily"],
    }  # fmt: skip
    pairs: Pairs = []
    for key, values in lists.items():
        pairs += _chunked(key, values, draw)
    pairs += [("temperature_unit", query["unit"]), ("forecast_days", str(query["days"]))]
    pairs += [("timezone", query["timezone"])] * draw(st.sampled_from((1, len(query["cells"]))))
    if query["elevation"] is not None:  # one for all, or the same once per point
        n = draw(st.sampled_from((1, len(query["cells"]))))
        pairs.append(("elevation", ",".join([query["elevation"]] * n)))
    if query["format"] != "json":
        pairs.append(("format", query["format"]))
    absent = [(key, value) for key, value in DEFAULTS if key not in dict(pairs)]
    pairs += draw(st.lists(st.sampled_from(absent), unique=True))  # explicit defaults
    pairs += draw(st.sampled_from(([], [("apikey", "k1")], [("apikey", "k2")])))
    return _interleaved(pairs, draw)


def _chunked(key: str, values: list[str], draw: Any) -> Pairs:
    """`values` as repeated keys, comma lists, or both, with empty items thrown in."""
    if not values:
        return []
    cuts = sorted(draw(st.sets(st.integers(1, len(values) - 1))) if len(values) > 1 else [])
    bounds = [0, *cuts, len(values)]
    pad = draw(st.sampled_from(("", ",")))
    return [(key, pad + ",".join(values[a:b])) for a, b in pairwise(bounds)]


def _interleaved(pairs: Pairs, draw: Any) -> Pairs:
    """The pairs in any order that keeps each key's own values in order."""
    order = draw(st.permutations(range(len(pairs))))
    slots = sorted(range(len(pairs)), key=lambda i: order[i])
    by_key: dict[str, list[str]] = {}
    for key, value in pairs:
        by_key.setdefault(key, []).append(value)
    keys = [pairs[i][0] for i in slots]
    taken = {key: iter(values) for key, values in by_key.items()}
    return [(key, next(taken[key])) for key in keys]


@settings(max_examples=200, deadline=None)
@given(queries, st.data())
def test_any_rewriting_of_one_query_keys_the_same_entries(
    query: dict[str, Any], data: st.DataObject
) -> None:
    one, other = parse(written(query, data.draw)), parse(written(query, data.draw))
    assert one == other
    assert [one.location_key(p) for p in one.points] == [
        other.location_key(p) for p in other.points
    ]
    assert one.upstream_params(one.points) == other.upstream_params(other.points)
    assert "apikey" not in dict(one.upstream_params(one.points))
    # What the gateway sends upstream says the same query again (location_id aside).
    sent = [pair for pair in one.upstream_params(one.points) if pair[0] != "location_id"]
    assert parse(sent) == one


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)), max_size=12))
def test_any_input_is_parsed_or_refused_with_a_reason(pairs: Pairs) -> None:
    try:
        request = parse([("latitude", "1"), ("longitude", "2"), *pairs])
    except GatewayBadRequest as refused:
        assert refused.reason
    else:
        assert all(-90 <= p.latitude <= 90 and -180 <= p.longitude <= 180 for p in request.points)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(-180, 180))
def test_a_latitude_is_accepted_exactly_within_its_range(latitude: float, longitude: float) -> None:
    pairs = [("latitude", repr(latitude)), ("longitude", repr(longitude))]
    try:
        point = parse(pairs).points[0]
    except GatewayBadRequest as refused:
        assert not -90 <= latitude <= 90 or len(repr(latitude)) > 32, refused.reason
    else:
        assert -90 <= latitude <= 90 and -90 <= point.latitude <= 90


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 2 * MAX_LIST_CHARS))
def test_a_variable_list_is_accepted_exactly_up_to_its_length_bound(length: int) -> None:
    hourly = ("t," * length)[:length]
    try:
        parse([("latitude", "1"), ("longitude", "2"), ("hourly", hourly)])
    except GatewayBadRequest as refused:
        assert length > MAX_LIST_CHARS or "more than" in refused.reason
    else:
        assert length <= MAX_LIST_CHARS


@settings(max_examples=30, deadline=None)
@given(st.integers(1, MAX_LOCATIONS + 50))
def test_locations_are_accepted_exactly_up_to_the_limit(n: int) -> None:
    pairs = [("latitude", ",".join(["1"] * n)), ("longitude", ",".join(["2"] * n))]
    try:
        assert len(parse(pairs).points) == n <= MAX_LOCATIONS
    except GatewayBadRequest:
        assert n > MAX_LOCATIONS
