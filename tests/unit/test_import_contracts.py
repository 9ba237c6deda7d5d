"""The import contracts catch a wrong-way import: lint-imports runs on a copy with one added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "ports", "adapters", "entrypoints")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports_on_a_copy(
    tmp_path: Path, module: str, added: str
) -> subprocess.CompletedProcess[str]:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{added}  # the wrong-way import under test\n")
    # The copy comes first on the path, ahead of the editable install of the real tree.
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# id -> the module, the import added to it, and the contract that import breaks
FORBIDDEN = {
    "model->ports": ("domain.model.query", "import ports.cache", "Layers"),
    "ports->use cases": ("ports.cache", "import domain.use_cases.get_weather", "Layers"),
    "use case->adapters": ("domain.use_cases.health", "import adapters.system_clock", "Layers"),
    "adapter->entrypoints": ("adapters.redis.cache", "import entrypoints.settings", "Layers"),
    "redis->providers": (
        "adapters.redis.cache",
        "import adapters.providers.http",
        "Adapter families",
    ),
    "app->an adapter": (
        "entrypoints.http.app",
        "import adapters.memory.cache",
        "Only the composition root",
    ),
    "weather->admin": (
        "entrypoints.http.weather.route",
        "import entrypoints.http.admin.routes",
        "HTTP slices: nothing imports the admin slice",
    ),
    "admin->status": (
        "entrypoints.http.admin.routes",
        "import entrypoints.http.status.page",
        "HTTP slices: nothing imports the status slice",
    ),
    "k8s options->environment": (
        "entrypoints.kubernetes.options",
        "import entrypoints.kubernetes.environment",
        "Kubernetes manifests",
    ),
}


@pytest.mark.parametrize(("module", "added", "broken"), FORBIDDEN.values(), ids=FORBIDDEN)
def test_an_import_against_the_layers_or_between_adapter_families_breaks_a_contract(
    tmp_path: Path, module: str, added: str, broken: str
) -> None:
    result = _lint_imports_on_a_copy(tmp_path, module, added)
    assert result.returncode != 0, result.stdout
    # "BROKEN", or "BROKEN (2 ignored imports)" for a contract with exceptions.
    broken_lines = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(broken) for line in broken_lines), result.stdout
    assert module in result.stdout
