"""Which settings go in the ConfigMap and which come from the Secret, by reference only.

A secret is what Settings masks: its own secret fields (ADMIN_TOKEN, METRICS_TOKEN), each
provider's variables of kind "secret" (their API keys), and REDIS_URL's password."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from entrypoints.kubernetes.options import Options
from entrypoints.settings import is_secret, own_fields, provider_variables

PORT = 8000
REDIS_PASSWORD = "REDIS_PASSWORD"
# The writable places on a read-only root filesystem, each an emptyDir: the instance's
# directory (its metrics/, locks/ and copies/, see RUN_DIR_PARTS) and /tmp.
RUN_DIR = "/run/skycache"
TMP_DIR = "/tmp"


def secret_variables() -> list[str]:
    own = [f.metadata["env"] for f in own_fields() if is_secret(f)]
    return own + [s.env for s in provider_variables() if s.kind == "secret"]


def config_data(options: Options) -> dict[str, str]:
    """The ConfigMap: what the service reads that is not a secret."""
    data = {
        "SKYCACHE_CACHE": "redis",
        "SKYCACHE_WORKERS": str(options.workers),
        "SKYCACHE_RUN_DIR": RUN_DIR,
        # Only the Service's and the edge's proxies reach the pod port.
        "FORWARDED_ALLOW_IPS": "*",
    }
    if options.redis_sentinels:
        data["REDIS_SENTINELS"] = options.redis_sentinels
        data["REDIS_SENTINEL_MASTER"] = options.redis_sentinel_master or "mymaster"
    if options.redis_cluster_nodes:
        data["REDIS_CLUSTER_NODES"] = options.redis_cluster_nodes
    return data | dict(options.env)


def redis_url(options: Options, password: str = f"$({REDIS_PASSWORD})") -> str:
    """REDIS_URL with the password Kubernetes expands from the Secret's variable."""
    if not options.redis_auth:
        return options.redis_url
    url = urlparse(options.redis_url)
    user = url.username or ""
    return url._replace(netloc=f"{user}:{password}@{url.netloc}").geturl()


def placeholder_secrets(options: Options) -> dict[str, str]:
    """Stand-ins for the Secret's values, to check the rest as the service would."""
    return {name: "x" for name in secret_variables()} | {"REDIS_URL": redis_url(options, "x")}


def container_env(options: Options) -> list[dict[str, Any]]:
    """The env entries: each secret by reference (optional: the service names what it
    needs at start-up), then REDIS_URL built from the password's variable."""
    env = [_from_secret(name, options.secret_name, optional=True) for name in secret_variables()]
    if options.redis_auth:
        env.append(_from_secret(REDIS_PASSWORD, options.secret_name, optional=False))
    return [*env, {"name": "REDIS_URL", "value": redis_url(options)}]


def _from_secret(name: str, secret: str, *, optional: bool) -> dict[str, Any]:
    ref = {"name": secret, "key": name, "optional": optional}
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}
