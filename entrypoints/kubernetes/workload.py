"""The Skycache Deployment: probes, drain timing, a non-root read-only container."""

from __future__ import annotations

from typing import Any

from entrypoints.http.probes.drain_signal import DRAIN_TIMEOUT_S
from entrypoints.kubernetes.environment import (
    PORT,
    RUN_DIR,
    TMP_DIR,
    container_env,
)
from entrypoints.kubernetes.objects import labels, metadata, pod_security, restricted
from entrypoints.kubernetes.options import Options

NAME = "skycache"
# Time for the endpoints controller, kube-proxy and ingresses to stop sending here after
# the pod is marked terminating; SIGTERM comes after it.
PRESTOP_SLEEP_S = 5
# Past the drain: the lifespan's shutdown (counters flushed, locks released), each step of
# which is bounded by REDIS_TIMEOUT-scale waits.
SHUTDOWN_MARGIN_S = 5
GRACE_PERIOD_S = PRESTOP_SLEEP_S + DRAIN_TIMEOUT_S + SHUTDOWN_MARGIN_S


def deployment(options: Options) -> dict[str, Any]:
    # No spec.replicas: the HPA owns the count (a replicas field would reset it on apply).
    template = {
        "metadata": {"labels": labels(NAME), "annotations": _scrape_annotations()},
        "spec": {
            "terminationGracePeriodSeconds": GRACE_PERIOD_S,
            "securityContext": pod_security(),
            "topologySpreadConstraints": [_spread()],
            "containers": [_container(options)],
            "volumes": [{"name": n, "emptyDir": {}} for n in ("run", "tmp")],
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(NAME, options),
        "spec": {"selector": {"matchLabels": labels(NAME)}, "template": template},
    }


def _container(options: Options) -> dict[str, Any]:
    mounts = {"run": RUN_DIR, "tmp": TMP_DIR}
    return {
        "name": NAME,
        "image": options.image,
        "ports": [{"name": "http", "containerPort": PORT}],
        "envFrom": [{"configMapRef": {"name": NAME}}],
        "env": container_env(options),
        "resources": {
            "requests": {"cpu": f"{500 * options.workers}m", "memory": "256Mi"},
            # No CPU limit: throttling would stretch every request; the HPA adds pods.
            "limits": {"memory": "1Gi"},
        },
        "securityContext": restricted(),
        "volumeMounts": [{"name": n, "mountPath": p} for n, p in mounts.items()],
        **_probes(),
        "lifecycle": {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_S}}},
    }


def _probes() -> dict[str, Any]:
    def probe(path: str, period_s: int, failures: int) -> dict[str, Any]:
        action = {"path": path, "port": "http"}
        return {"httpGet": action, "periodSeconds": period_s, "timeoutSeconds": 2,
                "failureThreshold": failures}  # fmt: skip

    return {
        # Up to a minute to start (Redis checked, workers spawned) before liveness counts.
        "startupProbe": probe("/livez", 2, 30),
        "livenessProbe": probe("/livez", 10, 3),
        # One 503 is enough: it means starting or draining, never "Redis is down".
        "readinessProbe": probe("/readyz", 2, 1),
    }


def _scrape_annotations() -> dict[str, str]:
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(PORT),
            "prometheus.io/path": "/metrics"}  # fmt: skip


def _spread() -> dict[str, Any]:
    return {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": labels(NAME)},
    }
