"""Reading a Locust run back: its CSV totals, the upstream-call bound, and the verdict."""

from __future__ import annotations

import ast
import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LocustTotals:
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None


def read_totals(stats_csv: Path) -> LocustTotals:
    """The "Aggregated" row of Locust's <prefix>_stats.csv."""
    with stats_csv.open(newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated":
                return LocustTotals(
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    p50_ms=_number(row["50%"]),
                    p99_ms=_number(row["99%"]),
                )
    raise ValueError(f"{stats_csv} has no Aggregated row")


def read_final_totals(totals_json: Path) -> LocustTotals:
    """The totals the locustfile writes as Locust quits: the same as report.html's."""
    data = json.loads(totals_json.read_text())
    return LocustTotals(
        requests=int(data["requests"]),
        failures=int(data["failures"]),
        rps=float(data["rps"]),
        p50_ms=None if data["p50_ms"] is None else float(data["p50_ms"]),
        p99_ms=None if data["p99_ms"] is None else float(data["p99_ms"]),
    )


def _number(text: str) -> float | None:
    # Locust writes "N/A" for percentiles of a name that saw no requests.
    try:
        return float(text)
    except ValueError:
        return None


def city_tuples(locustfile: Path) -> dict[str, tuple[str, ...]]:
    """The locustfile's *_CITIES tuples by name, read without importing Locust."""
    tuples: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(locustfile.read_text()).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.endswith("_CITIES"):
                    tuples[target.id] = tuple(str(c) for c in ast.literal_eval(node.value))
    return tuples


def cities_in(locustfile: Path) -> frozenset[str]:
    """Every city named in the locustfile's *_CITIES tuples."""
    return frozenset(city for cities in city_tuples(locustfile).values() for city in cities)


def upstream_bound(cities: int, duration_s: float, fresh_ttl_s: float) -> int:
    """At most one fetch per city when first asked, then one per fresh TTL that runs out."""
    return math.floor(cities * (duration_s / fresh_ttl_s + 1))


def missed_thresholds(
    totals: LocustTotals, api_calls: int | None, bound: int, *, locust_rc: int = 0
) -> list[str]:
    """Why the run failed, one reason a line; empty when every threshold holds."""
    reasons = []
    if totals.requests == 0:
        reasons.append("no requests were made")
    if totals.failures:
        reasons.append(f"{totals.failures} of {totals.requests} requests failed")
    elif locust_rc != 0:
        # Locust's CSV is a snapshot taken each second, so it can miss a failure in the last
        # one; its exit code cannot (it is also non-zero on an exception in a task).
        reasons.append(f"Locust exited with code {locust_rc}")
    if api_calls is None:
        reasons.append("upstream calls unknown: /stats did not answer")
    elif api_calls > bound:
        reasons.append(f"{api_calls} upstream calls, above the bound of {bound}")
    return reasons


def summary(totals: LocustTotals, api_calls: int | None, bound: int) -> str:
    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f} ms"

    calls = "unknown" if api_calls is None else str(api_calls)
    return (
        f"requests {totals.requests}, failures {totals.failures}, {totals.rps:.1f} req/s, "
        f"p50 {ms(totals.p50_ms)}, p99 {ms(totals.p99_ms)}; "
        f"upstream calls {calls} (bound {bound})"
    )
