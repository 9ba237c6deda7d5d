"""The fault benchmark's results as markdown: the table, the set-up, how to read it."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

from bench.fault_traffic import FaultRun

HEADER = (
    "| fault | requests | 200 fresh | 200 stale | 502 | 503 | other | upstream calls "
    "| provider calls | p50 ms | p99 ms | seconds |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table(runs: Sequence[FaultRun]) -> str:
    lines = [HEADER]
    for run in runs:
        counts = run.statuses
        other = sum(n for status, n in counts.items() if status not in (200, 502, 503))
        cells = [
            run.label,
            str(len(run.samples)),
            str(counts[200] - run.stale),
            str(run.stale),
            str(counts[502]),
            str(counts[503]),
            str(other),
            str(run.upstream_calls),
            "-" if run.provider_calls is None else str(run.provider_calls),
            f"{run.percentile_ms(0.50):.1f}",
            f"{run.percentile_ms(0.99):.1f}",
            f"{run.duration_s:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(runs: list[FaultRun], env: Mapping[str, str], hot_cities: int, args: Any) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in env.items())
    return "\n\n".join([
        "# Upstream faults: what the users see and what Open-Meteo receives",
        f"`python -m bench.faults` on {platform.platform()}, {os.cpu_count()} CPUs; one "
        f"service process (`--workers 1`); each fault lasts {args.seconds:g} s, during which "
        f"{args.rate:g} requests a second arrive ({args.parallel} in flight at most): "
        f"4 in 5 for {hot_cities} cities with a stale copy, "
        f"1 in 5 for cities never fetched. Guard settings at their defaults "
        f"(UPSTREAM_CONCURRENCY=1, UPSTREAM_RETRIES=1, BREAKER_FAILURES=5) except {settings}.",
        table(runs),
        "*upstream calls*: HTTP requests the fake Open-Meteo received while the fault lasted "
        "(geocoding + forecast; a refused connection never reaches it). *provider calls*: "
        "the calls the service's guard let through, retries included, from `/stats` "
        "(`api_attempts_by_provider`). *other*: any other status, 500 included, or no answer. "
        "Latencies are measured by the client, over loopback, on a shared 2-core machine.",
        reading(runs, env, args),
    ]) + "\n"  # fmt: skip


def reading(runs: list[FaultRun], env: Mapping[str, str], args: Any) -> str:
    by_label = {run.label: run for run in runs}
    guarded, unguarded = by_label["HTTP 500"], by_label["HTTP 500, breaker and cap off"]
    requests = len(guarded.samples)
    faulted = [run for run in runs if run.label != "none (healthy upstream)"]
    # 4 in 5 requests are for cities with a stale copy (bench/faults.py's mix): each is a
    # 200, stale where the refresh failed, fresh where the fault still let it through.
    all_stale = all(run.statuses[200] >= len(run.samples) * 4 // 5 for run in faulted)
    only_json_errors = all(set(run.statuses) <= {200, 502, 503} for run in runs)
    copies = "Every" if all_stale else "NOT every"
    errors = "never a 500" if only_json_errors else "BUT some answers were neither (see other)"
    return (
        f"How to read it: during the HTTP 500 fault, {requests} requests let "
        f"{guarded.upstream_calls} calls reach Open-Meteo (5 failed calls open the breaker, "
        f"then one probe per {env['BREAKER_RESET']} s reset period), against "
        f"{unguarded.upstream_calls} with the breaker and the cap off; a 429 costs one call, "
        f"then none until its window (60 s here) passes. {copies} request for a city with a "
        "copy was answered 200 during the faults (`stale: true` where its refresh failed); "
        "cities without one got a JSON 502 (a body unusable for that city, remembered for "
        "UNUSABLE_TTL, or one that is no answer at all) or 503 (the fault, then `circuit "
        f"open ... (last: <the fault>)`), {errors}. Where the fault is a hang, p99 includes "
        "requests that "
        "waited out "
        "UPSTREAM_TIMEOUT (0.5 s; a call that timed out is not retried), or a slot held "
        "that long; otherwise p99 mostly measures how busy "
        f"the shared machine was: {args.seconds:g} s of traffic leaves a tail of a few "
        "requests."
    )
