"""Judging a Locust run: its CSV totals, the locustfile's cities and the upstream-call bound."""

import argparse
from pathlib import Path

import pytest

from entrypoints.loadtest.command import LOCUSTFILE, duration_s
from entrypoints.loadtest.report import (
    LocustTotals,
    cities_in,
    missed_thresholds,
    read_totals,
    upstream_bound,
)

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
CLEAN = LocustTotals(requests=500, failures=0, rps=60.0, p50_ms=2.0, p99_ms=90.0)


def test_the_totals_are_read_from_the_aggregated_row(tmp_path: Path) -> None:
    stats = tmp_path / "locust_stats.csv"
    stats.write_text(
        f"{HEADER}\n"
        "GET,/weather [hot],400,1,2,4.8,0.3,94,218,50.3,0.1,2,3,4,4,6,9,60,91,95,95,95\n"
        ",Aggregated,470,3,2,10.8,0.3,134,214,67.07,0.4,2,4,5,6,58,61,86,91,130,130,130\n"
    )
    assert read_totals(stats) == LocustTotals(
        requests=470, failures=3, rps=67.07, p50_ms=2.0, p99_ms=91.0
    )


def test_percentiles_of_a_run_without_requests_are_unknown(tmp_path: Path) -> None:
    stats = tmp_path / "locust_stats.csv"
    stats.write_text(f"{HEADER}\n,Aggregated,0,0,0,0,0,0,0,0,0{',N/A' * 11}\n")
    totals = read_totals(stats)
    assert (totals.requests, totals.p50_ms, totals.p99_ms) == (0, None, None)


def test_the_locustfile_names_ten_hot_cities_and_a_tail_of_at_least_forty() -> None:
    cities = cities_in(LOCUSTFILE)
    hot = {"San Jose", "San Francisco", "New York", "Los Angeles", "Chicago"}
    hot |= {"Seattle", "Austin", "Boston", "Denver", "Miami"}
    assert hot < cities
    assert len(cities - hot) >= 40


def test_each_city_may_be_fetched_once_plus_once_per_fresh_ttl() -> None:
    assert upstream_bound(cities=60, duration_s=30, fresh_ttl_s=300) == 66
    assert upstream_bound(cities=60, duration_s=600, fresh_ttl_s=300) == 180


def test_a_clean_run_within_the_bound_misses_no_threshold() -> None:
    assert missed_thresholds(CLEAN, api_calls=66, bound=66) == []


@pytest.mark.parametrize(
    ("totals", "api_calls", "locust_rc", "reason"),
    [
        (LocustTotals(500, 1, 60.0, 2.0, 90.0), 10, 1, "1 of 500 requests failed"),
        (CLEAN, 67, 0, "67 upstream calls, above the bound of 66"),
        (CLEAN, None, 0, "/stats did not answer"),
        (CLEAN, 10, 1, "Locust exited with code 1"),
        (LocustTotals(0, 0, 0.0, None, None), 0, 0, "no requests were made"),
    ],
)
def test_a_failure_an_excess_of_upstream_calls_or_a_locust_error_fails_the_run(
    totals: LocustTotals, api_calls: int | None, locust_rc: int, reason: str
) -> None:
    reasons = missed_thresholds(totals, api_calls, bound=66, locust_rc=locust_rc)
    assert any(reason in line for line in reasons), reasons


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("90", 90), ("2m", 120), ("1h30m", 5400)]
)
def test_run_times_use_locusts_syntax(text: str, seconds: int) -> None:
    assert duration_s(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "soon", "-5s"])
def test_a_run_time_that_is_not_a_positive_duration_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a duration"):
        duration_s(text)
