"""The generated pod's environment, resolved as the kubelet resolves it, starts the real service
against a password-protected Redis: the ConfigMap, the Secret references and REDIS_URL's
$(REDIS_PASSWORD) expansion fit together."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.secure_redis import SecureRedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PASSWORD = "pod-s3cret"
SECRET = {"REDIS_PASSWORD": PASSWORD, "ADMIN_TOKEN": "pod-admin-token"}


def pod_environment(manifests: str, secret: dict[str, str], empty_dirs: Path) -> dict[str, str]:
    """envFrom the ConfigMap, then each env entry in order, $(NAME) expanded from earlier ones
    (undefined references stay as written), optional Secret keys that are absent left out;
    a setting naming an emptyDir's mount path moved under `empty_dirs`."""
    found = {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(manifests)}
    pod = found["Deployment/skycache"]["spec"]["template"]["spec"]
    env = dict(found["ConfigMap/skycache"]["data"])
    for entry in pod["containers"][0]["env"]:
        value = _value(entry, secret)
        if value is not None:
            env[entry["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), value)
    moved = {
        m["mountPath"]: str(empty_dirs / m["name"]) for m in pod["containers"][0]["volumeMounts"]
    }
    return {name: moved.get(value, value) for name, value in env.items()}


def _printed(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _value(entry: dict[str, Any], secret: dict[str, str]) -> str | None:
    if "value" in entry:
        return str(entry["value"])
    ref = entry["valueFrom"]["secretKeyRef"]
    assert ref["key"] in secret or ref["optional"], f"the pod would not start: {ref}"
    return secret.get(ref["key"])


async def test_the_generated_pod_environment_runs_the_service_on_redis_with_its_password(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, tmp_path: Path
) -> None:
    with SecureRedisServer(PASSWORD) as redis:
        upstream = [f"--env=OPEN_METEO_{kind}_URL={fake_open_meteo.url}" for kind in
                    ("GEOCODING", "FORECAST")]  # fmt: skip
        redis_url = redis.url.replace(f":{PASSWORD}@", "")
        command = [sys.executable, "-m", "skycache", "k8s-manifests", "--redis-url", redis_url]
        env = pod_environment(
            await asyncio.to_thread(_printed, [*command, *upstream]), SECRET, tmp_path
        )
        assert env["REDIS_URL"] == redis.url
        app = start_app(env, workers=int(env["SKYCACHE_WORKERS"]))
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.get("/healthz")).json()["redis_ok"] is True
            assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
        with redis.client() as direct:
            assert direct.exists("skycache:v2:{boise}:weather")
        # What the service writes lands in the emptyDirs (the root filesystem is read-only).
        assert env["SKYCACHE_RUN_DIR"] == str(tmp_path / "run")
        assert (tmp_path / "run").is_dir() and any((tmp_path / "run" / "metrics").glob("*.db"))
        assert PASSWORD not in app.output()
