import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.errors import InvalidCity
from domain.model.query import MAX_CITY_LENGTH, WeatherQuery


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
