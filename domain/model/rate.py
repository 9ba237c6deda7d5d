"""Rates written "N/unit" (`100/minute`): the one parser of RATE_LIMIT and
UPSTREAM_MISSES_PER_CLIENT."""

from __future__ import annotations

from domain.model.admission import BudgetLimit

RATE_UNITS_S = {"second": 1.0, "minute": 60.0, "hour": 3_600.0, "day": 86_400.0}


def parse_rate(text: str) -> BudgetLimit:
    """`text` like "100/minute" (spaces and case ignored); ValueError saying what a rate
    looks like when it is not one."""
    count, slash, unit = text.strip().lower().partition("/")
    count, unit = count.strip(), unit.strip()
    if not slash or not count.isdigit() or int(count) < 1 or unit not in RATE_UNITS_S:
        units = "|".join(RATE_UNITS_S)
        raise ValueError(f"must look like 100/minute (unit {units})")
    return BudgetLimit(int(count), RATE_UNITS_S[unit], unit)


def rate_text(limit: BudgetLimit) -> str:
    """The rate as written in a setting: "100/minute"."""
    return f"{limit.calls}/{limit.label}"
