"""What a soak's records mean: each answer's outcome, which 5xx were allowed, overlapping
fetches of one key per fault, and upstream calls per city per freshness period."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.soak.sampler import slope
from bench.soak.stack import ENV, LINGER_S
from bench.soak.traffic import NO_ANSWER, SHED, Outcome

CALM = "calm"
STALE_TTL_S = float(ENV["WEATHER_STALE_TTL"])
FRESH_TTL_S = float(ENV["WEATHER_TTL"])
# A call the fake took this long over was given up by the service (UPSTREAM_TIMEOUT) and
# wrote nothing, whatever the fake sent after: it is no fetch, and overlaps nothing.
ABANDONED_S = 0.9 * float(ENV["UPSTREAM_TIMEOUT"])
Forecast = tuple[str, float, float, str]  # point, start, end, mode (the fake's log)


@dataclass(frozen=True)
class Phase:
    fault: str  # the fault's id
    kind: str
    start: float
    end: float
    aftermath_s: float = LINGER_S

    def covers(self, at: float) -> bool:
        """During the fault, or its aftermath (by default a lease and the timeouts it
        outlives)."""
        return self.start <= at < self.end + self.aftermath_s


def phase_at(phases: Sequence[Phase], at: float) -> Phase | None:
    return next((p for p in reversed(phases) if p.covers(at)), None)


def outcome_label(outcome: Outcome) -> str:
    status = outcome.status
    if status == SHED:
        return "shed by the client"
    if status == NO_ANSWER:
        return "no answer"
    if status == 200:
        return "200 stale" if outcome.detail == "STALE" else "200"
    if status in (304, 404):
        return str(status)
    return f"{status} {outcome.detail}".strip()


def count_outcomes(outcomes: Sequence[Outcome]) -> Counter[str]:
    counts = Counter(outcome_label(o) for o in outcomes)
    for outcome in outcomes:
        counts.update(f"batch item {status}" for status in outcome.items)
    return counts


def unexplained_5xx(outcomes: Sequence[Outcome], phases: Sequence[Phase]) -> list[Outcome]:
    """5xx (a batch's items too) and requests nobody answered, except where the docs
    allow a 5xx: the upstream down (an upstream fault or its aftermath) and nothing
    cached for the city (no 200 for it within the stale TTL before)."""
    last_200: dict[str, float] = {}
    lost = []
    for outcome in sorted(outcomes, key=lambda o: o.at):
        failed = outcome.status >= 500 or outcome.status == NO_ANSWER
        failed = failed or any(status >= 500 for status in outcome.items)
        if failed and not _allowed(outcome, phases, last_200):
            lost.append(outcome)
        if outcome.status == 200:
            last_200.update(dict.fromkeys(outcome.request.keys, outcome.at))
    return lost


def _allowed(outcome: Outcome, phases: Sequence[Phase], last_200: dict[str, float]) -> bool:
    phase = phase_at(phases, outcome.at)
    if outcome.status == NO_ANSWER or phase is None or phase.kind != "upstream":
        return False
    cached = [k for k in outcome.request.keys if outcome.at - last_200.get(k, -1e18) < STALE_TTL_S]
    return not cached


def overlaps(
    forecasts: Sequence[Forecast], phases: Sequence[Phase], examples: list[list[Any]]
) -> dict[str, list[int]]:
    """Per fault id (or `calm`): [answered fetches, fetches that overlapped an earlier one
    of the same point]. Only fetches the fake answered with a forecast, in time for the
    service to use it, count: a call that hung, failed or was given up wrote nothing.
    The first overlaps found are appended to `examples`."""
    by_point: dict[str, list[Forecast]] = defaultdict(list)
    for row in forecasts:
        if row[3] == "ok" and row[2] - row[1] < ABANDONED_S:
            by_point[row[0]].append(row)
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rows in by_point.values():
        rows.sort(key=lambda row: row[1])
        busy: Forecast | None = None
        for row in rows:
            phase = phase_at(phases, row[1])
            tally = found[phase.fault if phase else CALM]
            tally[0] += 1
            if busy is not None and row[1] < busy[2]:
                tally[1] += 1
                if len(examples) < 20:
                    examples.append([phase.fault if phase else CALM, busy, row])
            if busy is None or row[2] > busy[2]:
                busy = row
    return dict(found)


def calls_per_period(forecasts: Sequence[Forecast], phases: Sequence[Phase]) -> Counter[int]:
    """For the ten most fetched points, outside faults: how many upstream calls each
    freshness period (WEATHER_TTL) of each point saw, among periods with any (ideal: 1)."""
    calm = [row for row in forecasts if phase_at(phases, row[1]) is None]
    top = [point for point, _ in Counter(row[0] for row in calm).most_common(10)]
    per_period = Counter((row[0], int(row[1] // FRESH_TTL_S)) for row in calm if row[0] in top)
    return Counter(per_period.values())


def still_rising(measure: str, series: Sequence[Sequence[tuple[float, float]]]) -> bool:
    """Redis' own series (one each) are a trend only if their later half rises too: a
    one-off allocation (its key table grown by the eviction fault's junk) is a step, which
    a line fitted over the run reads as a slope; a leak goes on rising. Workers' series
    are judged by their fit alone."""
    if not measure.startswith("redis_") or not series:
        return True
    points = max(series, key=len)
    later = slope(list(points[len(points) // 2 :]))
    return later is not None and later.above_noise
