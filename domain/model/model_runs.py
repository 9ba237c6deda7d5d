"""Freshness that follows the data: a forecast part lasts until its model's next run is out.

Open-Meteo publishes, per model, when its last run became available and how often runs
come (`last_run_availability_time`, `update_interval_seconds`), and advises waiting a few
minutes after availability before asking. A part fetched now is fresh until the next run
is available plus that margin; what the upstream says about its runs is trusted only
inside bounds, and anything outside them falls back to the fixed TTL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Runs come every 10 minutes at the most often (15-minute models), every week at the least.
MIN_INTERVAL_S = 600.0
MAX_INTERVAL_S = 7 * 86_400.0
# A clock a little ahead of ours is skew; more is a lie.
MAX_SKEW_S = 300.0
# A last run older than this many intervals means the model stopped or the document is stale.
MAX_INTERVALS_LATE = 3


@dataclass(frozen=True, slots=True)
class ModelRun:
    """One model's last run as its publisher states it (unix seconds)."""

    available_at: float
    interval_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFreshness:
    """Rules:
    - a part is fresh until the earliest next run of its models plus `margin_s`;
    - a model whose run is unknown (None), implausible (interval outside 10 min..7 days,
      a run in the future or more than three intervals ago, not a finite number) or late
      (its next run plus margin already passed) counts as `fallback_ttl_s` from now;
    - never longer than `fallback_ttl_s` past the next run a model announced, so a part
      lasts at most one interval + margin."""

    margin_s: float = 900.0
    fallback_ttl_s: float = 900.0

    def fresh_until(self, runs: Sequence[ModelRun | None], now: float) -> float:
        ends = [self._until(run, now) for run in runs] or [now + self.fallback_ttl_s]
        return min(ends)

    def _until(self, run: ModelRun | None, now: float) -> float:
        if run is None or not plausible(run, now):
            return now + self.fallback_ttl_s
        next_ready = run.available_at + run.interval_s + self.margin_s
        return next_ready if next_ready > now else now + self.fallback_ttl_s


def plausible(run: ModelRun, now: float) -> bool:
    if not (math.isfinite(run.available_at) and math.isfinite(run.interval_s)):
        return False
    if not MIN_INTERVAL_S <= run.interval_s <= MAX_INTERVAL_S:
        return False
    if run.available_at > now + MAX_SKEW_S:
        return False
    return run.available_at >= now - MAX_INTERVALS_LATE * run.interval_s
