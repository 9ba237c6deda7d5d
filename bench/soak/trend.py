"""Leak or fill: whether a sampled series still grows once its bounded structures are full.

A worker's memory and file descriptors rise while its bounded structures fill (the copies
it keeps, until the longest TTL it holds has passed; its connection pools, to the most
connections a fault has needed at once) and then level off; a leak rises and keeps
rising. So a series is judged after its own warm-up, and a trend is growth above noise
both over the series after the warm-up and over the second half of it: a fill that has
levelled off rises in the first half only (docs/SOAK.md, "Leaks").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.soak.sampler import Samples, Slope, slope
from bench.soak.stack import ENV
from bench.soak.verdict import Phase

# Units a leak would have to beat over an hour before it is worth a look, whatever its fit.
FLOORS = {"rss_mb": 20.0, "fds": 10.0, "tasks": 20.0, "redis_connections": 10.0}
# A series this short says nothing (a worker killed or restarted by a fault starts anew).
MIN_POINTS = 8
# Per series, from its first sample (a worker's start): the longest TTL a worker's copies
# hold in the soak (the stale TTL: past it every copy held was written within it), and a
# minute for what a worker builds on its first requests and its pools' first fill,
# measured in docs/SOAK.md, "What a worker holds, and when it stops growing".
WARMUP_S = float(ENV["WEATHER_STALE_TTL"]) + 60.0

Points = list[tuple[float, float]]


@dataclass(frozen=True)
class Trend:
    fit: Slope  # over the samples after the warm-up
    late: Slope | None  # over their second half
    floor: float

    @property
    def rising(self) -> bool:
        """Above three standard errors and the floor over all of it, and still in its
        second half."""
        return (
            _grows(self.fit, self.floor) and self.late is not None and _grows(self.late, self.floor)
        )


def _grows(fit: Slope, floor: float) -> bool:
    return fit.above_noise and fit.per_hour > floor


def after_warmup(points: Points, warmup_s: float = WARMUP_S) -> Points:
    """The samples taken `warmup_s` or more after the series' first."""
    return [(t, v) for t, v in points if points and t >= points[0][0] + warmup_s]


def judge(points: Points, measure: str) -> Trend | None:
    """`points` already past the warm-up; None for a series too short to say anything."""
    if len(points) < MIN_POINTS:
        return None
    fit = slope(points)
    if fit is None:
        return None
    late = slope(points[len(points) // 2 :])
    return Trend(fit, late, FLOORS.get(measure, 0.0))


def slopes(samples: Samples, phases: Sequence[Phase]) -> dict[str, Any]:
    """Per measure, the fit of one series: of those judged (each after its own warm-up,
    outside the faults; a worker's long enough, among the longer half), a rising one if
    any, else the steepest."""
    judged: dict[str, list[Trend]] = {}
    for name, points in samples.series.items():
        calm = [(t, v) for t, v in after_warmup(points) if not in_fault(phases, t)]
        trend = judge(calm, name.split(":")[0])
        if trend is not None:
            judged.setdefault(name.split(":")[0], []).append(trend)
    found = {}
    for measure, trends in judged.items():
        longest = max(t.fit.points for t in trends)
        kept = [t for t in trends if t.fit.points >= longest / 2]
        found[measure] = max(kept, key=lambda t: (t.rising, t.fit.per_hour))
    return {measure: _fit_figures(trend) for measure, trend in sorted(found.items())}


def _fit_figures(trend: Trend) -> dict[str, Any]:
    late = trend.late
    return {
        "per_hour": round(trend.fit.per_hour, 2),
        "stderr_per_hour": round(trend.fit.stderr_per_hour, 2),
        "points": trend.fit.points,
        "late_per_hour": None if late is None else round(late.per_hour, 2),
        "late_stderr_per_hour": None if late is None else round(late.stderr_per_hour, 2),
        "trend": trend.rising,
    }


def lifetimes(samples: Samples) -> dict[str, dict[str, float]]:
    """Per worker: minutes sampled, and its first and last RSS and FDs."""
    found: dict[str, dict[str, float]] = {}
    for name, points in samples.series.items():
        measure, _, pid = name.partition(":")
        if measure in ("rss_mb", "fds") and len(points) > 1:
            worker = found.setdefault(
                pid, {"minutes": round((points[-1][0] - points[0][0]) / 60, 1)}
            )
            worker[f"{measure}_first"], worker[f"{measure}_last"] = points[0][1], points[-1][1]
    return found


def in_fault(phases: Sequence[Phase], at: float) -> bool:
    """Within a fault, or the second after it: a Redis restarted empty is no trend."""
    return any(phase.start <= at < phase.end + 1 for phase in phases)
