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
    command = [sys.executable, "-m", "skycache", "edge-config", "--listen", listen]
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


def frame(state: Path, server_blocks: str) -> str:
    """A whole nginx configuration around `server_blocks` (what nginx's image supplies
    around conf.d/default.conf), its files in `state`. Started by root, the workers run as
    www-data, as in the image."""
    temps = " ".join(
        f"{kind}_temp_path {state}/{kind};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user www-data;" if os.geteuid() == 0 else ""
    return f"""
        {user}
        worker_processes 1;
        pid {state}/nginx.pid;
        error_log {state}/error.log warn;
        events {{ worker_connections 2048; }}
        http {{
            access_log off;
            client_body_temp_path {state}/body;
            {temps}
            {server_blocks}
        }}
    """


class Nginx(Launcher):
    """Debian's nginx running the configuration file `config` from `state`, in the
    foreground; ready once `url`'s /healthz (an app behind it) answers 200."""

    def __init__(self, config: Path, state: Path, url: str) -> None:
        super().__init__(
            [nginx_binary(), "-p", str(state), "-c", str(config), "-g", "daemon off;"],
            url=url,
            log=state / "nginx.out",
            name="nginx",
            poll_s=0.05,
            grace_s=5.0,
        )


class Edge(Nginx):
    """nginx in front of `instances` (HOST:PORT each), configured by `skycache edge-config`,
    its state under `state`."""

    def __init__(self, instances: Sequence[str], state: Path, *, port: int | None = None):
        self.port = port or free_port()
        state.mkdir(parents=True, exist_ok=True)
        config = state / "nginx.conf"
        config.write_text(edge_config(f"127.0.0.1:{self.port}", instances, state))
        super().__init__(config, state, f"http://127.0.0.1:{self.port}")
