"""What the soak keeps about each city an unexplained 5xx was lost for: every outcome of
its requests and every upstream call for its point in a window around the losses, so a
lost answer can be traced after the run rather than re-run for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench.soak.traffic import Outcome
from bench.soak.verdict import Forecast
from tests.support.fake_open_meteo.cities import CITIES

# Wide enough to hold the waiter's whole deadline before the first loss (9 s here) and a
# fault's phase around it.
WINDOW_S = 30.0
# Coordinates the service sends are rounded; a city's point is the nearest within this.
NEAR_DEG = 0.01
MAX_CITIES = 5


def around_losses(
    lost: Sequence[Outcome], outcomes: Sequence[Outcome], forecasts: Sequence[Forecast]
) -> dict[str, dict[str, list[list[Any]]]]:
    """Per city (its cache key), at most MAX_CITIES of them: `outcomes` as [at, status,
    detail] and `upstream` as the fake's [start, end, mode], from WINDOW_S before its first
    loss to WINDOW_S after its last."""
    spans: dict[str, list[float]] = defaultdict(list)
    for outcome in lost:
        for key in outcome.request.keys:
            spans[key].append(outcome.at)
    kept: dict[str, dict[str, list[list[Any]]]] = {}
    for key in sorted(spans, key=lambda k: min(spans[k]))[:MAX_CITIES]:
        start, end = min(spans[key]) - WINDOW_S, max(spans[key]) + WINDOW_S
        kept[key] = {
            "outcomes": [
                [round(o.at, 2), o.status, o.detail]
                for o in outcomes
                if key in o.request.keys and start <= o.at <= end
            ],
            "upstream": [
                [round(row[1], 2), round(row[2], 2), row[3]]
                for row in forecasts
                if _is_point_of(key, row[0]) and start <= row[1] <= end
            ],
        }
    return kept


def _is_point_of(key: str, point: str) -> bool:
    try:
        lat, lon = (float(part) for part in point.split(","))
    except ValueError:
        return False
    for name, city_lat, city_lon, *_ in CITIES:
        if name.lower() == key:
            return abs(lat - city_lat) <= NEAR_DEG and abs(lon - city_lon) <= NEAR_DEG
    return False
