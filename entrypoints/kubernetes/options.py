"""What `skycache k8s-manifests` is asked for: the one value every manifest is built from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    namespace: str = "skycache"
    image: str = "skycache:latest"
    replicas: int = 2
    max_replicas: int = 10
    workers: int = 2
    redis_url: str = "redis://redis:6379/0"
    redis_auth: bool = True
    redis_sentinels: str = ""
    redis_sentinel_master: str = ""
    redis_cluster_nodes: str = ""
    secret_name: str = "skycache"
    edge: bool = False
    env: tuple[tuple[str, str], ...] = field(default=())
