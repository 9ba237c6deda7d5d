"""The optional edge tier: nginx running `skycache edge-config`'s file, in front of the
Service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entrypoints.edge.nginx_config import Address, render, state_dirs
from entrypoints.kubernetes.objects import labels, metadata, pod_security, restricted
from entrypoints.kubernetes.options import Options
from entrypoints.kubernetes.policies import service
from entrypoints.kubernetes.workload import NAME as API

NAME = "skycache-edge"
IMAGE = "nginx:1.27-alpine"  # as deploy/docker-compose.yml's edge
PORT = 8080
STATE = Path("/var/cache/skycache-edge")
CONFIG_DIR = "/etc/skycache-edge"
NGINX_UID = 101  # the image's nginx user


def edge_objects(options: Options) -> list[dict[str, Any]]:
    # The Service's cluster address: kube-proxy spreads the edge's requests over the pods.
    api = Address(f"{API}.{options.namespace}.svc.cluster.local", 80)
    conf = render(Address("0.0.0.0", PORT), [api], STATE)
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(NAME, options),
              "data": {"nginx.conf": conf}}  # fmt: skip
    return [config, _deployment(options), service(options, NAME, PORT)]


def _deployment(options: Options) -> dict[str, Any]:
    dirs = " ".join(str(path) for path in state_dirs(STATE))
    start = f"mkdir -p {dirs} && exec nginx -p {STATE} -c {CONFIG_DIR}/nginx.conf -g 'daemon off;'"
    container = {
        "name": "nginx",
        "image": IMAGE,
        "command": ["sh", "-c", start],
        "ports": [{"name": "http", "containerPort": PORT}],
        "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": restricted(),
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
            {"name": "state", "mountPath": str(STATE)},
        ],
        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5},
    }
    volumes = [{"name": "config", "configMap": {"name": NAME}}, {"name": "state", "emptyDir": {}}]
    pod = {"securityContext": pod_security(NGINX_UID), "containers": [container],
           "volumes": volumes}  # fmt: skip
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(NAME, options),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels(NAME)},
            "template": {"metadata": {"labels": labels(NAME)}, "spec": pod},
        },
    }
