from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.errors import InvalidCity, InvalidCoordinates
from domain.model.query import MAX_CITY_LENGTH, GridPoint, WeatherQuery


@pytest.mark.parametrize(
    ("raw", "city", "key"),
    [
        ("San Jose", "San Jose", "san jose"),
        ("  san   JOSE ", "san JOSE", "san jose"),
        ("São Paulo", "São Paulo", "são paulo"),
        ("\uff33\uff41\uff4e \uff2a\uff4f\uff53\uff45", "San Jose", "san jose"),  # full-width
        ("München", "München", "münchen"),
        ("STRASSE", "STRASSE", "strasse"),
        ("Straße", "Straße", "strasse"),
        ("東京", "東京", "東京"),
        ("Winston-Salem", "Winston-Salem", "winston-salem"),
        ("St. John's", "St. John's", "st. john's"),
        ("Washington, D.C.", "Washington, D.C.", "washington, d.c."),
        ("नई दिल्ली", "नई दिल्ली", "नई दिल्ली"),
        ("San\u00a0Jose", "San Jose", "san jose"),
    ],
)
def test_a_city_is_normalised_and_case_folded_into_its_key(raw: str, city: str, key: str) -> None:
    query = WeatherQuery.parse(raw)
    assert (query.city, query.key) == (city, key)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "x" * (MAX_CITY_LENGTH + 1),
        "x" * 10_000,
        "San\r\nJose",
        "San\tJose",
        "San\x00Jose",
        "Paris\u200b",
        "*",
        "San*Jose",
        "Boise; DROP",
        "<script>",
        "12345",
        "...",
        "city/../etc",
        "a:b",
    ],
)
def test_bad_cities_are_rejected_with_a_domain_error(raw: str | None) -> None:
    with pytest.raises(InvalidCity):
        WeatherQuery.parse(raw)


def test_exactly_the_maximum_length_is_accepted() -> None:
    assert len(WeatherQuery.parse("a" * MAX_CITY_LENGTH).city) == MAX_CITY_LENGTH


def _parse_or_none(raw: str) -> WeatherQuery | None:
    try:
        return WeatherQuery.parse(raw)
    except InvalidCity:
        return None


@given(st.text(max_size=150))
def test_normalisation_is_idempotent(raw: str) -> None:
    query = _parse_or_none(raw)
    if query is not None:
        again = WeatherQuery.parse(query.city)
        assert again == query


@given(st.text(max_size=150))
def test_every_accepted_city_has_a_bounded_key_of_safe_characters(raw: str) -> None:
    query = _parse_or_none(raw)
    if query is not None:
        assert 1 <= len(query.key) <= 3 * MAX_CITY_LENGTH
        assert query.key == query.key.strip()
        assert "  " not in query.key
        assert all(c.isprintable() for c in query.key)
        assert not any(c in query.key for c in ":*/\\\r\n\t\x00")


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1), st.text(max_size=20))
def test_any_control_character_is_rejected(control: str, rest: str) -> None:
    with pytest.raises(InvalidCity):
        WeatherQuery.parse("Boise" + control + rest)


@pytest.mark.parametrize(
    ("lat", "lon", "point"),
    [
        ("37.34", "-121.89", (37.34, -121.89)),
        ("37.3449", "-121.8851", (37.34, -121.89)),
        ("37.335", "-121.895", (37.34, -121.90)),  # halves to even, exactly: no float error
        ("+37.336", "-121.88500000001", (37.34, -121.89)),
        ("-0.004", "0.001", (0.0, 0.0)),
        ("90", "-180", (90.0, -180.0)),
    ],
)
def test_a_point_is_snapped_to_the_centre_of_its_grid_cell(
    lat: str, lon: str, point: tuple[float, float]
) -> None:
    query = WeatherQuery.at(lat, lon)
    assert query.city is None
    assert query.point == GridPoint(*point)


def test_every_point_of_a_cell_has_one_key_and_no_city_can_share_it() -> None:
    keys = {WeatherQuery.at(f"37.34{i:02d}", f"-121.89{i:02d}").key for i in range(50)}
    assert keys == {"@0.01:3734,-12189"}
    assert WeatherQuery.at("-0.001", "0").key == WeatherQuery.at("0.001", "0").key
    assert WeatherQuery.at("37.34", "-121.89", Decimal("0.1")).key == "@0.1:373,-1219"


def test_a_coarse_grid_never_snaps_past_a_pole() -> None:
    assert WeatherQuery.at("90", "180", Decimal("0.7")).point == GridPoint(90.0, 179.9)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("nan", "0"),
        ("NaN", "0"),
        ("inf", "0"),
        ("-Infinity", "0"),
        ("1e309", "0"),
        ("1e1", "0"),
        ("37.34abc", "0"),
        ("9" * 10_000, "0"),
        ("37." + "1" * 13, "0"),
        ("91", "0"),
        ("-90.0001", "0"),
        ("0", "180.5"),
        ("0", "1000"),
        ("", "0"),
        (" 37", "0"),
        ("0x10", "0"),
        ("٣٧", "0"),  # Arabic-Indic digits: int() would take them
        ("37,34", "0"),
    ],
)
def test_anything_but_a_plain_decimal_in_range_is_refused(lat: str, lon: str) -> None:
    with pytest.raises(InvalidCoordinates):
        WeatherQuery.at(lat, lon)
