"""The strong ETag of a /weather answer: it names the very bytes of the body."""

from __future__ import annotations

import pytest

from entrypoints.http.weather.etag import etag
from entrypoints.http.weather.rendered import encode_body
from entrypoints.http.weather.units import UNITS, Units
from tests.unit.entrypoints.http.weather.results import FRESH, STALE, VARIANTS


@pytest.mark.parametrize("units", UNITS)
def test_two_answers_share_an_etag_exactly_when_their_bodies_are_the_same_bytes(
    units: Units,
) -> None:
    for a in VARIANTS:
        for b in VARIANTS:
            same_bytes = encode_body(a, units) == encode_body(b, units)
            assert (etag(a, units.encode()) == etag(b, units.encode())) == same_bytes, (a, b)


def test_the_etag_is_strong_and_differs_between_units_and_between_fresh_and_stale() -> None:
    tag = etag(FRESH, b"metric")
    assert tag.startswith(b'"') and tag.endswith(b'"')
    assert etag(FRESH, b"imperial") != tag
    assert etag(STALE, b"metric") != tag  # same weather, same age: a stale body is other bytes
