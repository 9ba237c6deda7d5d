"""`skycache k8s-manifests` and deploy/kubernetes/: the shipped files are the command's output,
Kubernetes' own schemas accept every variant strictly, and the objects say what the service
needs (probes, drain timing, writable places, secrets by reference only)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.cli import main
from entrypoints.edge.nginx_config import parse_address, render
from entrypoints.http.probes.drain_signal import DRAIN_TIMEOUT_S
from entrypoints.kubernetes.environment import secret_variables
from tests.deploy.recipe import DEPLOY

# The oldest Kubernetes the manifests promise to work on: the preStop `sleep` action is on
# by default from 1.30; 1.33 is the oldest release still supported upstream.
KUBERNETES_VERSION = "1.33"
VALIDATE = Path(sys.executable).parent / "kubernetes-validate"
SHIPPED = {
    "skycache.yaml": [],
    "skycache-with-edge.yaml": ["--edge"],
}
VARIANTS = [
    [],
    ["--edge", "--namespace", "weather", "--image", "registry.example/skycache:1.4.0"],
    ["--redis-sentinels", "s1:26379,s2:26379", "--redis-sentinel-master", "primary"],
    ["--redis-cluster-nodes", "n1:6379,n2:6379", "--no-redis-auth", "--replicas", "3"],
    ["--env", "WEATHER_PROVIDER=openweathermap", "--env", "LOG_LEVEL=warning"],
]


def manifests(*args: str) -> str:
    """What `skycache k8s-manifests ARGS` prints (run in-process: the bad-option tests below
    run the real command)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["k8s-manifests", *args]) == 0
    return printed.getvalue()


def objects(*args: str) -> dict[str, dict[str, Any]]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(manifests(*args))}


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(VALIDATE), "--strict", "--kubernetes-version", KUBERNETES_VERSION, str(path)]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.mark.parametrize(("name", "args"), SHIPPED.items())
def test_the_shipped_files_are_exactly_what_the_command_prints(name: str, args: list[str]) -> None:
    shipped = (DEPLOY / "kubernetes" / name).read_text()
    assert shipped == manifests(*args), f"deploy/kubernetes/{name} was edited: regenerate it"


@pytest.mark.parametrize("args", VARIANTS, ids=lambda a: " ".join(a) or "defaults")
def test_kubernetes_validate_strict_accepts_every_variant(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "manifests.yaml"
    path.write_text(manifests(*args))
    checked = validate(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("passed for resource") == len(objects(*args))


def test_strict_validation_rejects_a_field_kubernetes_does_not_know(tmp_path: Path) -> None:
    # The control: a misspelt field (or one of a newer Kubernetes) must fail, not pass.
    text = manifests().replace("terminationGracePeriodSeconds", "terminationGracePeriod")
    path = tmp_path / "manifests.yaml"
    path.write_text(text)
    checked = validate(path)
    assert checked.returncode != 0
    assert "terminationGracePeriod" in checked.stdout + checked.stderr


def _container(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = found["Deployment/skycache"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def test_liveness_and_readiness_ask_the_process_alone_and_the_grace_period_covers_the_drain() -> (
    None
):
    found = objects()
    pod = found["Deployment/skycache"]["spec"]["template"]["spec"]
    container = _container(found)
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    sleep_s = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The grace period runs from the preStop hook: the sleep, then SIGTERM and the drain.
    assert pod["terminationGracePeriodSeconds"] > sleep_s + DRAIN_TIMEOUT_S
    assert "replicas" not in found["Deployment/skycache"]["spec"]  # the HPA owns the count


def test_the_container_is_non_root_with_a_read_only_root_and_writes_to_empty_dirs() -> None:
    found = objects()
    pod = found["Deployment/skycache"]["spec"]["template"]["spec"]
    container = _container(found)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    settings = found["ConfigMap/skycache"]["data"]
    written = {settings["SKYCACHE_RUN_DIR"], "/tmp"}
    empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    mounted = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty}
    assert written == mounted


def test_secrets_come_from_the_secret_by_reference_and_never_sit_in_the_config_map() -> None:
    found = objects()
    env = _container(found)["env"]
    referenced = [e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})]
    assert set(referenced) == {*secret_variables(), "REDIS_PASSWORD"}
    assert {"ADMIN_TOKEN", "METRICS_TOKEN", "OPENWEATHER_API_KEY"} <= set(referenced)
    assert not set(found["ConfigMap/skycache"]["data"]) & set(referenced)
    assert all(e["valueFrom"]["secretKeyRef"]["name"] == "skycache" for e in env[:-1])
    # Kubernetes expands $(REDIS_PASSWORD) only from a variable defined before it.
    assert env[-1] == {"name": "REDIS_URL", "value": "redis://:$(REDIS_PASSWORD)@redis:6379/0"}
    assert referenced.index("REDIS_PASSWORD") < len(env) - 1


def test_the_budget_lets_unhealthy_pods_go_and_the_autoscaler_follows_cpu_only() -> None:
    found = objects("--replicas", "3", "--max-replicas", "7")
    budget = found["PodDisruptionBudget/skycache"]
    assert budget["apiVersion"] == "policy/v1"
    assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    scaler = found["HorizontalPodAutoscaler/skycache"]["spec"]
    assert (scaler["minReplicas"], scaler["maxReplicas"]) == (3, 7)
    assert [m["resource"]["name"] for m in scaler["metrics"]] == ["cpu"]
    annotations = found["Deployment/skycache"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"


def test_redis_topologies_reach_the_config_map() -> None:
    sentinel = objects("--redis-sentinels", "s1:26379,s2:26379")["ConfigMap/skycache"]["data"]
    assert sentinel["REDIS_SENTINELS"] == "s1:26379,s2:26379"
    cluster = objects("--redis-cluster-nodes", "n1:6379")["ConfigMap/skycache"]["data"]
    assert cluster["REDIS_CLUSTER_NODES"] == "n1:6379"


def test_the_edge_tier_runs_edge_configs_file_in_front_of_the_service() -> None:
    found = objects("--edge", "--namespace", "weather")
    conf = found["ConfigMap/skycache-edge"]["data"]["nginx.conf"]
    api = parse_address("skycache.weather.svc.cluster.local:80")
    assert conf == render(parse_address("0.0.0.0:8080"), [api], Path("/var/cache/skycache-edge"))
    edge = found["Deployment/skycache-edge"]["spec"]["template"]["spec"]
    assert edge["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert found["Service/skycache-edge"]["spec"]["ports"][0]["targetPort"] == 8080
