"""The soak's compressed day keeps a day's promise: after the minute an upstream 429 keeps
calls away, a stale copy is refreshed again before its stale TTL ends."""

from __future__ import annotations

from dataclasses import replace

from bench.soak.faults import FAULTS, QUOTA_WINDOW_S
from bench.soak.mix import SHARES, TAIL_CITIES
from bench.soak.stack import ENV
from domain.model.entry import CacheEntry
from domain.model.policy import CachePolicy

RATE = 40.0  # the soak's default requests a second
CITY_SHARE = (100 - sum(SHARES.values())) / 100
# How often, on average, one tail city is asked: the gap a back-off must leave.
TAIL_READ_GAP_S = len(TAIL_CITIES) / (RATE * CITY_SHARE * 0.2)
QUOTA_FAULT = next(fault for fault in FAULTS if fault.id == "upstream-429")


def _next_try_leaves_a_read(backoff_max_s: float) -> bool:
    """Worst case: the 429 fault starts as the copy is written and refreshes fail through
    the fault and its minute, the last at its very end with the back-off at its cap."""
    policy = CachePolicy(
        fresh_ttl_s=float(ENV["WEATHER_TTL"]),
        stale_ttl_s=float(ENV["WEATHER_STALE_TTL"]),
        backoff_base_s=float(ENV["REFRESH_BACKOFF"]),
        backoff_max_s=backoff_max_s,
    )
    copy = CacheEntry(
        weather=None, fetched_at=0.0, fresh_until=policy.fresh_ttl_s, stale_until=policy.stale_ttl_s
    )
    calls_resume = QUOTA_FAULT.seconds + QUOTA_WINDOW_S
    failed = policy.after_failed_refresh(replace(copy, failures=30), calls_resume)
    return failed.retry_after + TAIL_READ_GAP_S < copy.stale_until


def test_the_soak_back_off_lets_a_tail_city_refresh_before_its_copy_expires() -> None:
    assert _next_try_leaves_a_read(float(ENV["REFRESH_BACKOFF_MAX"]))


def test_the_boundary_is_the_stale_ttl_less_the_quota_minute_and_a_read() -> None:
    room = float(ENV["WEATHER_STALE_TTL"]) - QUOTA_FAULT.seconds - QUOTA_WINDOW_S - TAIL_READ_GAP_S
    assert _next_try_leaves_a_read(room - 0.5)
    assert not _next_try_leaves_a_read(room + 0.5)
    assert not _next_try_leaves_a_read(300.0)  # a day's cap: what let a tail city expire
