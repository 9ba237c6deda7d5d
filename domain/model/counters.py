"""The names of the counters /stats reports, and Prometheus beside it."""

from __future__ import annotations

import enum


class CounterName(enum.StrEnum):
    """Counters reported by /stats; the values are the public names.

    StrEnums, like CacheOutcome: both are dict keys on every hit, and a plain Enum hashes
    in Python, a StrEnum as its string does, in C."""

    CACHE_HITS = "cache_hits"
    CACHE_MISSES = "cache_misses"
    API_CALLS = "api_calls"
    AVOIDED_API_CALLS = "avoided_api_calls"
    STALE_SERVED = "stale_served"
    COALESCED = "coalesced"
    NEGATIVE_HITS = "negative_hits"
    UPSTREAM_ERRORS = "upstream_errors"
    CORRUPT_ENTRIES = "corrupt_entries"
    API_ATTEMPTS = "api_attempts"
    # The gateway's (/v1/forecast, /v1/air-quality, /v1/archive), per location answered and
    # per upstream call; counted by API (incr_labelled), their totals the sums.
    GATEWAY_HITS = "gateway_hits"
    GATEWAY_MISSES = "gateway_misses"
    GATEWAY_STALE = "gateway_stale"
    GATEWAY_API_CALLS = "gateway_api_calls"
    GATEWAY_ERRORS = "gateway_errors"
