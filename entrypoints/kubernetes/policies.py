"""The objects around the Deployment: namespace, settings, Service, disruption budget, HPA."""

from __future__ import annotations

from typing import Any

from entrypoints.kubernetes.environment import PORT, config_data
from entrypoints.kubernetes.objects import labels, metadata
from entrypoints.kubernetes.options import Options
from entrypoints.kubernetes.workload import NAME

CPU_TARGET_PERCENT = 70


def namespace(options: Options) -> dict[str, Any]:
    # The "restricted" Pod Security Standard, enforced: every pod here already meets it.
    enforce = {"pod-security.kubernetes.io/enforce": "restricted"}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": options.namespace, "labels": enforce}}  # fmt: skip


def config_map(options: Options) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(NAME, options),
            "data": config_data(options)}  # fmt: skip


def service(options: Options, name: str = NAME, target: int = PORT) -> dict[str, Any]:
    port = {"name": "http", "port": 80, "targetPort": target, "protocol": "TCP"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, options),
        "spec": {"selector": labels(name), "ports": [port]},
    }


def disruption_budget(options: Options) -> dict[str, Any]:
    # A pod that is not ready (a crash loop, a node gone bad) may always be evicted: it
    # serves nothing, and keeping it would block every node drain.
    spec = {"maxUnavailable": 1, "selector": {"matchLabels": labels(NAME)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow"}  # fmt: skip
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": metadata(NAME, options), "spec": spec}  # fmt: skip


def autoscaler(options: Options) -> dict[str, Any]:
    """On CPU only: a cache miss costs an upstream call, not CPU, and more pods share the
    one Redis cache and the one upstream budget (docs/OPERATIONS.md, Kubernetes)."""
    target = {"type": "Utilization", "averageUtilization": CPU_TARGET_PERCENT}
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
        "minReplicas": options.replicas,
        "maxReplicas": options.max_replicas,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
    }
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": metadata(NAME, options), "spec": spec}  # fmt: skip
