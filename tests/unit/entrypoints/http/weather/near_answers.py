"""A San Jose answer rendered for the near-cache and fast-path tests, the wall clock they
start at, and the app behind the fast path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.weather import Weather
from entrypoints.http.weather.rendered import Rendered, render

FETCHED_AT = 1_764_000_000.0  # Mon, 24 Nov 2025 16:00:00 GMT
RENDERED_AT = FETCHED_AT + 3.2  # the wall clock the tests start at
RESULT = WeatherResult(
    weather=Weather(city="San Jose", temperature=18.4, humidity=65, description=None),
    outcome=CacheOutcome.HIT,
    age_s=3.2,
    fresh_for_s=296.8,
    stale_for_s=86_396.8,
    fetched_at=FETCHED_AT,
)
ANSWER = render(RESULT, now=RENDERED_AT)
BODY = ANSWER.body["body"]
SAN_JOSE = b"city=San%20Jose"


def answer_fresh_for(fresh_for_s: float) -> Rendered:
    return render(replace(RESULT, fresh_for_s=fresh_for_s), now=RENDERED_AT)


class WallClock:
    """The epoch clock a near cache reads, advanced by the test."""

    def __init__(self) -> None:
        self.now = RENDERED_AT

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class InnerApp:
    """The app behind the fast path: records what reached it and answers 204."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
