"""A soak's figures: one dict (written as JSON) and the markdown that shows it."""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.soak.faults import Fault
from bench.soak.sampler import Samples
from bench.soak.trend import WARMUP_S, in_fault, lifetimes, slopes
from bench.soak.verdict import CALM, Phase


def peaks(samples: Samples, phases: Sequence[Phase]) -> dict[str, float]:
    """Redis's memory, keys and connections at their highest outside the faults (a
    memory-filling fault's junk is its own): bounded, or not."""
    found = {}
    for name in ("redis_mb", "redis_keys", "redis_connections"):
        values = [v for t, v in samples.series.get(name, []) if not in_fault(phases, t)]
        found[f"{name}_max"] = round(max(values, default=0.0), 3)  # MB: tens of KB stored
    return found


def figures(
    *,
    args: Any,
    outcomes: Counter[str],
    requests: int,
    lost: int,
    overlaps: dict[str, list[int]],
    faults: Sequence[Fault],
    phases: Sequence[Phase],
    samples: Samples,
    calls_per_period: Counter[int],
    seconds: float,
) -> dict[str, Any]:
    fits = slopes(samples, phases)

    def per_hour(measure: str) -> float | None:
        fit = fits.get(measure)
        return None if fit is None else float(fit["per_hour"])

    kinds = {fault.id: fault.kind for fault in faults} | {CALM: "calm"}
    return {
        "topology": args.topology,
        "minutes": round(seconds / 60, 2),
        "rate_per_s": args.rate,
        "requests": requests,
        "unexplained_5xx": lost,
        "outcomes": dict(outcomes.most_common()),
        "rss_slope_mb_per_hour": per_hour("rss_mb"),
        "fd_slope_per_hour": per_hour("fds"),
        "tasks_slope_per_hour": per_hour("tasks"),
        "redis_connections_slope_per_hour": per_hour("redis_connections"),
        "slopes": fits,
        "warmup_s_per_series": WARMUP_S,
        "workers": lifetimes(samples),
        "redis_peaks": peaks(samples, phases),
        "series": {
            name: [[round(t, 1), round(v, 3)] for t, v in points]
            for name, points in sorted(samples.series.items())
        },
        "overlaps_by_fault": {fault: tally[1] for fault, tally in sorted(overlaps.items())},
        "fetches_by_fault": {fault: tally[0] for fault, tally in sorted(overlaps.items())},
        "fault_kinds": {fault: kinds.get(fault, "?") for fault in sorted(overlaps)},
        "phases": Counter(phase.fault for phase in phases),
        "calls_per_city_per_fresh_period": dict(sorted(calls_per_period.items())),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Soak on `{result['topology']}`: {result['minutes']} min at {result['rate_per_s']} "
        f"requests/s (open loop), {result['requests']} requests, "
        f"**{result['unexplained_5xx']} unexplained 5xx**; {result['machine']}.",
        "",
        "| fault | kind | times | answered fetches | overlapping fetches | overlap rate |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for fault, overlapping in result["overlaps_by_fault"].items():
        fetches = result["fetches_by_fault"][fault]
        rate = f"{overlapping / fetches:.1%}" if fetches else "-"
        times = result["phases"].get(fault, "-")
        kind = result["fault_kinds"][fault]
        lines.append(f"| {fault} | {kind} | {times} | {fetches} | {overlapping} | {rate} |")
    lines += [
        "",
        f"| measure | slope per hour (after {result['warmup_s_per_series']:.0f} s) | ± stderr "
        "| second half's | ± stderr | samples | trend? |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for measure, fit in result["slopes"].items():
        trend = "**yes**" if fit["trend"] else "no"
        cells = [measure, fit["per_hour"], fit["stderr_per_hour"], fit["late_per_hour"]]
        cells += [fit["late_stderr_per_hour"], fit["points"], trend]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    lines += ["", "| outcome | count |", "|---|---:|"]
    lines += [f"| {label} | {n} |" for label, n in result["outcomes"].items()]
    peaks = ", ".join(f"{k} {v}" for k, v in result["redis_peaks"].items())
    periods = ", ".join(
        f"{k} call(s): {v}" for k, v in result["calls_per_city_per_fresh_period"].items()
    )
    lines += [
        "",
        f"Redis peaks: {peaks}.",
        f"Upstream calls per hot point per fresh period (calm): {periods}.",
    ]
    return "\n".join(lines) + "\n"
