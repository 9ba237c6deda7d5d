"""Adding a provider exactly as docs/ARCHITECTURE.md says: its module, one registry line.

The guide's code block is written to a module as it stands and its SPEC added to the
registry; nothing else changes, and the service validates, builds, budgets, labels and
documents the new provider. A last test keeps provider names out of the rest of the code."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.metrics import MemoryMetrics
from adapters.providers import registry
from adapters.system_clock import SystemClock
from domain.model.admission import UpstreamCall
from domain.model.query import WeatherQuery
from entrypoints import config_docs
from entrypoints.config_report import rows
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.upstream import budget_limits, upstreams

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "ARCHITECTURE.md"
_BLOCK = re.compile(r"<!-- guide: provider module -->\s*```python\n(.*?)```", re.S)
ENV = {"WEATHER_PROVIDER": "example-weather", "EXAMPLE_WEATHER_KEY": "k3y-example"}


def _guide_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    found = _BLOCK.search(GUIDE.read_text(encoding="utf-8"))
    assert found, "docs/ARCHITECTURE.md has no provider module block"
    path = tmp_path / "example_weather.py"
    path.write_text(found[1], encoding="utf-8")
    spec = importlib.util.spec_from_file_location("example_weather", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # As an import would: msgspec resolves the module's annotations through sys.modules.
    monkeypatch.setitem(sys.modules, "example_weather", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The guide's step 2: its SPEC added to the registry's list."""
    module = _guide_module(tmp_path, monkeypatch)
    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, module.SPEC))
    return module


def test_its_required_key_is_checked_at_start_up(registered: ModuleType) -> None:
    with pytest.raises(SettingsError, match="set EXAMPLE_WEATHER_KEY"):
        Settings.from_env({"WEATHER_PROVIDER": "example-weather"})
    with pytest.raises(SettingsError, match="EXAMPLE_WEATHER_URL"):
        Settings.from_env({**ENV, "EXAMPLE_WEATHER_URL": "ftp://nope"})


def test_its_settings_are_shown_masked_and_documented(registered: ModuleType) -> None:
    settings = Settings.from_env(ENV)
    assert "k3y-example" in settings.secrets()
    shown = {row.variable: row.value for row in rows(settings, ENV)}
    assert shown["EXAMPLE_WEATHER_KEY"] == "***"
    assert shown["EXAMPLE_WEATHER_URL"] == "https://api.example-weather.test"
    assert "| `EXAMPLE_WEATHER_URL` | `https://api.example-weather.test` |" in config_docs.render()


def test_its_calls_are_labelled_and_budgeted_as_its_own(registered: ModuleType) -> None:
    assert registry.endpoint_labels()["/v1/now"] == "example"
    assert registry.budget_owners()["/v1/now"] == "example-weather"
    limits = {limit.label: limit.calls for limit in budget_limits(Settings.from_env(ENV))[
        "example-weather"
    ]}  # fmt: skip
    assert limits == {"minute": 100, "day": 10_000}


async def test_it_is_built_behind_the_usual_stack_and_answers(registered: ModuleType) -> None:
    asked: list[httpx.URL] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return httpx.Response(200, content=json.dumps({"temperature": 21.5}))

    settings = Settings.from_env({**ENV, "WEATHER_PROVIDER": "example-weather,simulated"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
        provider = upstreams(
            settings, http, MemoryCache(clock=SystemClock()), MemoryMetrics(), SystemClock()
        ).provider
        weather = await provider.current(WeatherQuery.at("38.72", "-9.14"), UpstreamCall())
    assert weather.provider == "example-weather" and weather.temperature == 21.5
    assert [(url.host, url.path) for url in asked] == [("api.example-weather.test", "/v1/now")]


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


# Allowed, and why: the API docs' example answers show the default provider; the load test
# always runs offline, on the made-up provider; the cache envelope's provider codes are
# stored history, not configuration: a provider taken out of the registry keeps its code
# there, so that no later provider reuses it and old entries are never read as another
# provider's (a provider added by the guide has no code: its name is stored as text).
_MAY_NAME_A_PROVIDER = {
    "adapters/redis/provider_codes.py",
    "entrypoints/http/openapi/examples.py",
    "entrypoints/http/weather/examples.py",
    "entrypoints/http/schemas.py",
    "entrypoints/http/weather/schemas.py",
    "entrypoints/loadtest/service.py",
}


def test_no_module_outside_the_providers_names_a_provider() -> None:
    names = set(registry.by_name())
    naming = []
    for package in ("domain", "ports", "adapters", "entrypoints"):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            if where.startswith("adapters/providers/") or where in _MAY_NAME_A_PROVIDER:
                continue
            if found := names & _string_literals(path):
                naming.append(f"{where}: {sorted(found)}")
    assert naming == []
