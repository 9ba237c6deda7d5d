"""The edge tier as shipped: `skycache edge-config`'s output, run by Debian's nginx."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from entrypoints.launcher import Launcher, free_port


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if found is None:
        raise RuntimeError("nginx is not installed: `make nginx` (apt-get install nginx)")
    return found


def edge_config(listen: str, instances: Sequence[str], state: Path) -> str:
    """What `skycache edge-config` prints, run as a user would run it."""
    command = [sys.executable, "-m", "entrypoints.cli", "edge-config", "--listen", listen]
    for instance in instances:
        command += ["--instance", instance]
    command += ["--dir", str(state)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def reachable_state_dir() -> Iterator[Path]:
    """A state directory nginx's workers can reach: started by root, they run as nobody,
    and pytest's tmp_path sits under a directory only root may enter."""
    state = Path(tempfile.mkdtemp(prefix="skycache-edge-"))
    state.chmod(0o755)
    try:
        yield state
    finally:
        shutil.rmtree(state, ignore_errors=True)


class Edge(Launcher):
    """nginx in front of `instances` (HOST:PORT each), its state under `state`; ready once
    its /healthz (passed through to an instance) answers 200."""

    def __init__(self, instances: Sequence[str], state: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.state = state
        self.config = state / "nginx.conf"
        state.mkdir(parents=True, exist_ok=True)
        self.config.write_text(edge_config(f"127.0.0.1:{self.port}", instances, state))
        super().__init__(
            [nginx_binary(), "-p", str(state), "-c", str(self.config), "-g", "daemon off;"],
            url=f"http://127.0.0.1:{self.port}",
            log=state / "logs" / "nginx.out",
            name="nginx",
            poll_s=0.05,
            grace_s=5.0,
        )
