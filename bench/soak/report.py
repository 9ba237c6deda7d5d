"""A soak's figures: one dict (written as JSON) and the markdown that shows it."""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.soak.faults import Fault
from bench.soak.sampler import Samples, Slope, slope
from bench.soak.verdict import CALM, Phase, still_rising

# Units a leak would have to beat over an hour before it is worth a look, whatever its fit.
# A worker killed or restarted by a fault starts a new series: too short a one says nothing.
MIN_POINTS = 8
FLOORS = {"rss_mb": 20.0, "fds": 10.0, "tasks": 20.0, "redis_connections": 10.0}


def slopes(samples: Samples, phases: Sequence[Phase], warmup_s: float) -> dict[str, Any]:
    """Per measure, the steepest fit among the workers that lived through at least half
    of the run (a worker started by a fault is still warming up; its series is short),
    and Redis's own, on the samples after the warm-up taken outside the faults."""
    start = min((pts[0][0] for pts in samples.series.values() if pts), default=0.0)
    kept: dict[str, list[list[tuple[float, float]]]] = {}
    for name, points in samples.series.items():
        calm = [(t, v) for t, v in points if t >= start + warmup_s and not _during(phases, t)]
        kept.setdefault(name.split(":")[0], []).append(calm)
    steepest: dict[str, Slope] = {}
    for measure, series in kept.items():
        longest = max(len(points) for points in series)
        fits = [slope(p) for p in series if len(p) >= max(MIN_POINTS, longest / 2)]
        found = [fit for fit in fits if fit is not None]
        if found:
            steepest[measure] = max(found, key=lambda fit: fit.per_hour)
    return {
        measure: {
            "per_hour": round(fit.per_hour, 2),
            "stderr_per_hour": round(fit.stderr_per_hour, 2),
            "points": fit.points,
            "trend": fit.above_noise
            and fit.per_hour > FLOORS.get(measure, 0.0)
            and still_rising(measure, kept[measure]),
        }
        for measure, fit in sorted(steepest.items())
    }


def _during(phases: Sequence[Phase], at: float) -> bool:
    """Within a fault, or the second after it: a Redis restarted empty is no trend."""
    return any(phase.start <= at < phase.end + 1 for phase in phases)


def peaks(samples: Samples, phases: Sequence[Phase]) -> dict[str, float]:
    """Redis's memory, keys and connections at their highest outside the faults (a
    memory-filling fault's junk is its own): bounded, or not."""
    found = {}
    for name in ("redis_mb", "redis_keys", "redis_connections"):
        values = [v for t, v in samples.series.get(name, []) if not _during(phases, t)]
        found[f"{name}_max"] = round(max(values, default=0.0), 1)
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
    fits = slopes(samples, phases, warmup_s=min(60.0, seconds / 4))

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
        "redis_peaks": peaks(samples, phases),
        "series": {
            name: [[round(t, 1), round(v, 2)] for t, v in points]
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
    lines += ["", "| measure | slope per hour (steepest) | ± stderr | samples | trend? |"]
    lines.append("|---|---:|---:|---:|---|")
    for measure, fit in result["slopes"].items():
        trend = "**yes**" if fit["trend"] else "no"
        cells = [measure, fit["per_hour"], fit["stderr_per_hour"], fit["points"], trend]
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
