"""What every object shares: names, labels, and the restricted security settings."""

from __future__ import annotations

from typing import Any

from entrypoints.kubernetes.options import Options

UID = 10001  # the image's `skycache` user and group (deploy/Dockerfile)


def labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/part-of": "skycache"}


def metadata(name: str, options: Options) -> dict[str, Any]:
    return {"name": name, "namespace": options.namespace, "labels": labels(name)}


def pod_security(uid: int = UID) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted() -> dict[str, Any]:
    """The container settings of the "restricted" Pod Security Standard, and a read-only
    root: what the process writes goes to emptyDirs."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
