"""The README's offline quick start, run as it is written: `make run` on the simulated
provider, then its curl commands, each checked against the answer its comment promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from entrypoints.launcher import free_port
from entrypoints.settings import documented_variables
from tests.support.processes import launched

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(r"<!-- quickstart.*?-->(.*?)<!-- /quickstart -->", re.S)
_SH = re.compile(r"```sh\n(.*?)```", re.S)


def quickstart_commands() -> list[str]:
    section = _BLOCK.search(README.read_text(encoding="utf-8"))
    assert section is not None, "README.md marks no quick start"
    lines = [line for block in _SH.findall(section[1]) for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def promised(command: str) -> tuple[str, str | None]:
    """What a curl line's comment promises: the status line, and X-Cache if it names one."""
    comment = command.partition("#")[2]
    status = re.search(r"HTTP/1\.1 \d{3}", comment)
    assert status is not None, f"no promised status in: {command}"
    cache = re.search(r"X-Cache: (\w+)", comment)
    return status[0], cache[1] if cache else None


def test_the_quick_start_serves_san_jose_offline_on_the_first_try(tmp_path: Path) -> None:
    assert shutil.which("make") and shutil.which("curl"), "the quick start needs make and curl"
    server, *clients = quickstart_commands()
    assert "make run" in server and "WEATHER_PROVIDER=simulated" in server
    assert clients and all(c.startswith("curl ") for c in clients)
    port = free_port()
    # As on a fresh machine: none of our variables set, and no Redis at the default URL
    # (a Redis that happened to run there would get simulated weather in its database 0).
    env = {k: v for k, v in os.environ.items() if k not in documented_variables()}
    env.update(PORT=str(port), REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    log = tmp_path / "make-run.log"
    # Only /healthz is polled: the first weather request is the README's own.
    server_process = launched(
        "make run",
        ["sh", "-c", server],
        port,
        log,
        timeout_s=300,
        env=env,
        cwd=ROOT,
        grace_s=20.0,
    )
    try:
        for command in clients:
            local = command.replace("localhost:8000", f"localhost:{port}")
            done = subprocess.run(
                ["sh", "-c", local], capture_output=True, text=True, timeout=30, check=False
            )
            status, cache = promised(command)
            assert done.stdout.startswith(status), f"{command}\n{done.stdout}{done.stderr}"
            if cache:
                assert f"x-cache: {cache.lower()}" in done.stdout.lower(), done.stdout
    finally:
        server_process.stop()
    output = log.read_text(errors="replace")
    assert "serving with 1 worker" in output
