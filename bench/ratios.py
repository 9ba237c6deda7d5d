"""The compared ratios taken round by round: the two rows of a ratio ran back to back in
each round, so each round's ratio shares that minute's load, and their median says what
the code does where a ratio of pooled rows says also what the machine was doing."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench.scenarios import Row

Measure = Callable[[Row], float]


def _rps(row: Row) -> float:
    return row.result.rps


def _p99(row: Row) -> float:
    return row.result.p99_ms


def _cpu_per_request(row: Row) -> float:
    return row.cpu_us


@dataclass(frozen=True, slots=True)
class Ratio:
    """`top` ÷ `bottom` of one measure, each round; a goal is met by the median."""

    name: str
    per_round: tuple[float, ...]
    goal: float | None = None
    at_most: bool = False  # the goal is a ceiling on the ratio, not a floor
    percent: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)

    def shown(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:.2f}x"

    def verdict(self) -> str:
        if self.goal is None:
            return ""
        sign = "≤" if self.at_most else "≥"
        met = self.median <= self.goal if self.at_most else self.median >= self.goal
        return f"{sign} {self.shown(self.goal)}: {'met' if met else 'NOT MET'}"


# name, numerator row, denominator row, measure, goal, at most, as a percentage. Issue 25's
# goals; CPU ratios are the cheaper side's cost over the dearer's, so higher is better.
COMPARED: tuple[tuple[str, str, str, Measure, float | None, bool, bool], ...] = (
    ("warm hits req/s ÷ ceiling", "near", "ceiling", _rps, 0.75, False, True),
    ("warm hits p99 ÷ ceiling", "near", "ceiling", _p99, 1.5, True, False),
    ("Redis hits req/s ÷ old design", "redis", "old", _rps, 4.0, False, False),
    ("ceiling CPU/req ÷ warm hits'", "ceiling", "near", _cpu_per_request, None, False, True),
    ("old design CPU/req ÷ Redis hits'", "old", "redis", _cpu_per_request, None, False, False),
    ("warm hits, many cities, req/s ÷ ceiling", "near_big", "ceiling", _rps, None, False, True),
    ("Redis hits, many cities, req/s ÷ old design", "redis_big", "old", _rps, None, False, False),
)


def round_ratios(runs: Mapping[str, Sequence[Row]]) -> list[Ratio]:
    ratios = []
    for name, top, bottom, measure, goal, at_most, percent in COMPARED:
        if top not in runs or bottom not in runs:
            continue
        pairs = zip(runs[top], runs[bottom], strict=True)
        values = tuple(measure(a) / measure(b) for a, b in pairs if measure(b))
        if values:
            ratios.append(Ratio(name, values, goal, at_most, percent))
    return ratios


def ratio_table(ratios: Sequence[Ratio]) -> str:
    rounds = max((len(r.per_round) for r in ratios), default=0)
    lines = [
        f"Ratios round by round (median, and the lowest and highest of {rounds} rounds):",
        "",
        "| ratio | median | lowest | highest | goal |",
        "|---|---:|---:|---:|---|",
    ]
    for r in ratios:
        low, high = min(r.per_round), max(r.per_round)
        cells = [r.name, r.shown(r.median), r.shown(low), r.shown(high), r.verdict()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
