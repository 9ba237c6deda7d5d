"""Every name Skycache gives Redis, version 2: one hash slot per city, one for the counters.

On a Redis Cluster the part of a name inside its first {...} picks the slot, so a city's
entry, location, lease and wake-up channel, all tagged with its normalised key, live on
one shard: the lease scripts and the SPUBLISH of a release never cross slots. City keys
hold no braces (WeatherQuery allows letters, spaces and - ' . , only). Version 1 names
are no longer read: their keys expire with their TTLs and nothing depends on them.
"""

from __future__ import annotations

VERSION = "skycache:v2:"


def city_name(key: str, kind: str) -> str:
    return f"{VERSION}{{{key}}}:{kind}"


def weather_key(key: str) -> str:
    return city_name(key, "weather")


def location_key(key: str) -> str:
    return city_name(key, "geo")


def lease_key(key: str) -> str:
    return city_name(key, "lease")


# Set once, without expiry, by the first lease script a dataset sees: a new value means
# Redis came back empty (a restart, a flush), so every lease held before is gone
# (adapters/redis/lease_epoch.py). Outside any city's slot: one node or a Sentinel set only.
LEASE_EPOCH_KEY = VERSION + "lease-epoch"

# The wake-up channel of a city's lease: `CHANNEL_HEAD + key + CHANNEL_TAIL`.
CHANNEL_HEAD = VERSION + "{"
CHANNEL_TAIL = "}:done"


def done_channel(key: str) -> str:
    return CHANNEL_HEAD + key + CHANNEL_TAIL


# Every entry written and every purge, heard by every process (copies_feed.py). A plain
# channel: on a cluster, its PUBLISH reaches every node over the cluster bus.
COPIES_CHANNEL = VERSION + "copies"

# The counters hash and each worker's applied-batch marker share the {stats} slot, so
# the script that applies a batch once touches one slot.
STATS_KEY = VERSION + "{stats}"
APPLIED_PREFIX = VERSION + "{stats}:applied:"

# Budget windows are named `<prefix>{<upstream or client>}:<window>`: one slot per name.
BUDGET_PREFIX = VERSION + "budget:"
MISSES_PREFIX = VERSION + "misses:"

# Litestar's RedisStore: one key per client and window, each a single-key command.
RATE_LIMIT_PREFIX = VERSION + "ratelimit:"
