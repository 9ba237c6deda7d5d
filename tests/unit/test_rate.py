"""The one parser of "N/unit" rates (RATE_LIMIT, UPSTREAM_MISSES_PER_CLIENT)."""

from __future__ import annotations

import pytest

from domain.model.admission import BudgetLimit
from domain.model.rate import parse_rate, rate_text


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1/second", BudgetLimit(1, 1.0, "second")),
        (" 100 / Minute ", BudgetLimit(100, 60.0, "minute")),
        ("5/hour", BudgetLimit(5, 3_600.0, "hour")),
        ("10000/day", BudgetLimit(10_000, 86_400.0, "day")),
    ],
)
def test_a_rate_is_a_whole_count_per_unit(raw: str, parsed: BudgetLimit) -> None:
    assert parse_rate(raw) == parsed
    assert parse_rate(rate_text(parsed)) == parsed


@pytest.mark.parametrize("raw", ["", "100", "0/minute", "-1/minute", "1.5/minute", "5/week", "5/"])
def test_anything_else_is_refused_saying_what_a_rate_looks_like(raw: str) -> None:
    with pytest.raises(ValueError, match="100/minute"):
        parse_rate(raw)
