"""Locust profile for Skycache: 80% of weather on 10 hot cities, 20% on a long tail, some ops."""

from __future__ import annotations

import json
import random
from typing import Any

from locust import FastHttpUser, between, events, task

# `skycache loadtest` reads these two tuples (with ast, never importing Locust) to bound the
# upstream calls a run may make: keep them literal tuples of strings.
HOT_CITIES = (
    "San Jose",
    "San Francisco",
    "New York",
    "Los Angeles",
    "Chicago",
    "Seattle",
    "Austin",
    "Boston",
    "Denver",
    "Miami",
)
TAIL_CITIES = (
    "Topeka", "Eugene", "Boise", "Fresno", "Spokane", "Tacoma", "Salem", "Reno",
    "Provo", "Ogden", "Tucson", "Flagstaff", "Santa Fe", "Amarillo", "Lubbock", "Waco",
    "Tulsa", "Wichita", "Lincoln", "Omaha", "Fargo", "Bismarck", "Sioux Falls", "Duluth",
    "Madison", "Green Bay", "Peoria", "Dayton", "Akron", "Toledo", "Lansing", "Flint",
    "Erie", "Scranton", "Albany", "Syracuse", "Burlington", "Portland", "Bangor", "Hartford",
    "Providence", "Savannah", "Macon", "Mobile", "Biloxi", "Shreveport", "Knoxville",
    "Chattanooga", "Asheville", "Roanoke", "Billings", "Missoula", "Casper", "Cheyenne",
    "Anchorage", "Fairbanks", "Hilo", "Coeur d'Alene",
)  # fmt: skip

WEATHER_FIELDS: dict[str, Any] = {
    "temperature": (int, float),
    "humidity": (int, float),
    "description": str,
    "city": str,
}
STATS_FIELDS = ("cache_hits", "cache_misses", "api_calls", "avoided_api_calls", "hit_ratio")


def weather_problem(body: Any) -> str | None:
    """Why a /weather body is unusable, or None when it carries every required field."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    for name, kind in WEATHER_FIELDS.items():
        value = body.get(name)
        # bool is an int in Python but never a temperature.
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"field {name!r} missing or not {kind}: {value!r}"
    return None


def stats_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body is not a JSON object"
    missing = [name for name in STATS_FIELDS if name not in body]
    return f"missing fields {missing}" if missing else None


def status_problem(response: Any) -> str:
    if not response.status_code:
        return f"no response: {type(response.error).__name__}"
    try:
        body = response.json()
    except (ValueError, TypeError):
        body = None
    # The short error code only ("upstream_unavailable"): details such as "next try in 29 s"
    # would split one failure into many rows of Locust's error report.
    code = body.get("error", "") if isinstance(body, dict) else "(no JSON body)"
    return f"status {response.status_code} {code}"


class SkycacheUser(FastHttpUser):
    # Compose passes -H http://app:8000; run locally, the service listens here.
    host = "http://localhost:8000"
    wait_time = between(0.05, 0.5)

    @task(80)
    def hot_city(self) -> None:
        self._weather(random.choice(HOT_CITIES), "/weather [hot]")

    @task(20)
    def tail_city(self) -> None:
        self._weather(random.choice(TAIL_CITIES), "/weather [tail]")

    @task(1)
    def stats(self) -> None:
        self._get_json("/stats", "/stats", stats_problem)

    @task(1)
    def healthz(self) -> None:
        self._get_json("/healthz", "/healthz", lambda body: None)

    def _weather(self, city: str, name: str) -> None:
        self._get_json("/weather", name, weather_problem, params={"city": city})

    def _get_json(self, path: str, name: str, problem: Any, **kwargs: Any) -> None:
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(status_problem(response))
                return
            try:
                body = response.json()
            except (ValueError, TypeError):
                response.failure("body is not JSON")
                return
            reason = problem(body)
            if reason:
                response.failure(reason)
            else:
                response.success()


@events.init_command_line_parser.add_listener
def _totals_option(parser: Any) -> None:
    parser.add_argument(
        "--totals-json", default="", help="write the run's final totals to this file"
    )


@events.quitting.add_listener
def _write_totals(environment: Any, **_: Any) -> None:
    """The totals report.html shows, for `skycache loadtest`'s summary: Locust's CSV is a
    snapshot taken once a second, which misses the requests of the run's last second."""
    path = getattr(environment.parsed_options, "totals_json", "")
    if not path:
        return
    total = environment.stats.total
    totals = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.total_rps,
        "p50_ms": total.get_response_time_percentile(0.5) if total.num_requests else None,
        "p99_ms": total.get_response_time_percentile(0.99) if total.num_requests else None,
    }
    with open(path, "w") as file:
        json.dump(totals, file)
