"""Which Redis the settings name: REDIS_URL alone, or with the cluster's nodes."""

from __future__ import annotations

from adapters.redis.topology import RedisTopology
from entrypoints.settings import Settings


def redis_topology(settings: Settings) -> RedisTopology:
    # SENTINEL: the Sentinel branch adds sentinels= and sentinel_master= here.
    return RedisTopology(settings.redis_url, cluster_nodes=settings.redis_cluster_nodes)
