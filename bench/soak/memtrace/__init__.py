"""What the soak adds to the service's environment to take tracemalloc snapshots."""

from __future__ import annotations

import os
from pathlib import Path

HOOK_DIR = Path(__file__).resolve().parent


def memory_tracing(directory: Path | None) -> dict[str, str]:
    """Nothing unless asked: the hook (sitecustomize.py here) on PYTHONPATH, and its dir."""
    if directory is None:
        return {}
    directory.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(p for p in (str(HOOK_DIR), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, "SOAK_TRACEMALLOC_DIR": str(directory.resolve())}
