"""RATE_LIMIT: "<requests>/<unit>", off when unset, refused at start-up when malformed."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings, SettingsError


def test_rate_limiting_is_off_unless_configured() -> None:
    assert Settings.from_env({}).rate_limit == ""


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("100/minute", "100/minute"), (" 5 / Second ", "5/second"), ("10000/day", "10000/day")],
)
def test_a_rate_is_a_count_per_unit(raw: str, parsed: str) -> None:
    assert Settings.from_env({"RATE_LIMIT": raw}).rate_limit == parsed


@pytest.mark.parametrize("raw", ["100", "0/minute", "-1/minute", "ten/minute", "5/week", "5/"])
def test_a_malformed_rate_is_refused_with_the_variable_named(raw: str) -> None:
    with pytest.raises(SettingsError, match="RATE_LIMIT"):
        Settings.from_env({"RATE_LIMIT": raw})
