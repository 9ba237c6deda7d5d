"""The OpenAPI schema agrees with the service: its examples are valid answers, its city
parameter is what WeatherQuery enforces, and the docs page ships with the app."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from litestar.testing import AsyncTestClient

from domain.model.query import MAX_CITY_LENGTH, MAX_COORDINATE_LENGTH
from entrypoints.http.openapi.config import ASSETS_DIR, SWAGGER_UI_VERSION
from tests.support.app_client import memory_app_client
from tests.unit.fakes import FakeProvider

PYPROJECT = Path(__file__).resolve().parents[5] / "pyproject.toml"
VERSION = tomllib.loads(PYPROJECT.read_text())["project"]["version"]


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    async with memory_app_client(provider=FakeProvider()) as test_client:
        yield test_client


@pytest.fixture
async def schema(client: AsyncTestClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return document


def examples(node: Any, where: str = "") -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Every example in the document with the schema it illustrates: JSON Schema's
    `examples` lists, and the `examples` maps of parameters and media types."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from examples(item, f"{where}/{i}")
        return
    if not isinstance(node, dict):
        return
    found = node.get("examples")
    if isinstance(found, list) and "examples" not in node.get("properties", {}):
        own = {k: v for k, v in node.items() if k != "examples"}
        for value in found:
            yield where, value, own
    if isinstance(found, dict) and "schema" in node:
        for name, example in found.items():
            yield f"{where}/examples/{name}", example["value"], node["schema"]
    for key, child in node.items():
        yield from examples(child, f"{where}/{key}")


async def test_every_example_in_the_schema_is_valid_against_its_own_schema(
    schema: dict[str, Any],
) -> None:
    found = list(examples(schema))
    # Each answer of each operation but /metrics (Prometheus text) has a whole example.
    responses = [
        (path, status)
        for path, item in schema["paths"].items()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if "application/json" in response.get("content", {})
    ]
    whole = {where.split("/content/")[0] for where, _, _ in found if "/content/" in where}
    # /weather's 7 answers, /stats and /healthz, /livez, /readyz's 200 and 503,
    # /weather/batch's 200 and 400
    assert len(responses) == 7 + 2 + 3 + 2 and len(whole) == len(responses), (responses, whole)
    assert any("/parameters/" in where for where, _, _ in found)
    invalid: list[tuple[str, str]] = []
    for where, value, subschema in found:
        # "#/components/..." in the subschema resolves against the whole document.
        rooted = {"components": schema["components"], "allOf": [subschema]}
        validator = jsonschema.Draft202012Validator(rooted)
        invalid += [(where, error.message) for error in validator.iter_errors(value)]
    assert not invalid
    assert len(found) > 40  # every field of every schema, too


async def test_the_examples_are_real_answers_not_generated_values(
    client: AsyncTestClient, schema: dict[str, Any]
) -> None:
    weather = schema["paths"]["/weather"]["get"]["responses"]
    (example,) = weather["200"]["content"]["application/json"]["examples"].values()
    (error,) = weather["400"]["content"]["application/json"]["examples"].values()
    answer = (await client.get("/weather", params={"city": "San Jose"})).json()
    invalid = (await client.get("/weather", params={"city": "*"})).json()

    assert example["value"]["city"] == "San Jose"
    assert (example["value"]["temperature"], example["value"]["humidity"]) == (22.5, 65)
    assert example["value"]["description"] == "Partly cloudy"
    assert example["value"].keys() == answer.keys()
    assert error["value"] == invalid  # word for word what the service says


async def test_the_weather_parameters_are_documented_as_validated(
    schema: dict[str, Any],
) -> None:
    parameters = {p["name"]: p for p in schema["paths"]["/weather"]["get"]["parameters"]}
    assert set(parameters) == {
        "city", "lat", "lon", "units", "If-None-Match", "If-Modified-Since"
    }  # fmt: skip
    city = parameters["city"]
    assert city["in"] == "query"
    assert city["required"] is False  # city, or lat and lon
    assert (city["schema"]["minLength"], city["schema"]["maxLength"]) == (1, MAX_CITY_LENGTH)
    for name in ("lat", "lon"):
        assert parameters[name]["schema"]["maxLength"] == MAX_COORDINATE_LENGTH
    assert parameters["units"]["schema"]["enum"] == ["metric", "imperial"]
    assert parameters["If-None-Match"]["in"] == "header"


async def test_the_service_enforces_what_the_city_parameter_documents(
    client: AsyncTestClient,
) -> None:
    missing = await client.get("/weather")
    empty = await client.get("/weather", params={"city": ""})
    too_long = await client.get("/weather", params={"city": "a" * (MAX_CITY_LENGTH + 1)})
    longest = await client.get("/weather", params={"city": "a" * MAX_CITY_LENGTH})

    for refused in (missing, empty):
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "invalid_city",
            "detail": "city is required",
            "status_code": 400,
        }
    assert too_long.status_code == 400 and too_long.json()["error"] == "invalid_city"
    assert longest.status_code == 404  # valid, and unknown to the fake provider


async def test_the_docs_page_loads_its_assets_from_this_server(client: AsyncTestClient) -> None:
    page = await client.get("/schema")
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f'"/schema/assets/{asset}"' in page.text
        served = await client.get(f"/schema/assets/{asset}")
        assert served.status_code == 200
        assert served.content == (ASSETS_DIR / asset).read_bytes()
    assert "http://" not in page.text.split("<body>")[0]
    assert "https://" not in page.text.split("<body>")[0]


def test_the_vendored_swagger_ui_is_the_pinned_release_unmodified() -> None:
    sums = (ASSETS_DIR / "SHA256SUMS").read_text().split("\n")
    listed = dict(reversed(line.split("  ")) for line in sums if line)
    for name, digest in listed.items():
        assert hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest() == digest, name
    assert {"LICENSE", "NOTICE", "swagger-ui-bundle.js", "swagger-ui.css"} <= listed.keys()
    assert f'"{SWAGGER_UI_VERSION}"' in (ASSETS_DIR / "swagger-ui-bundle.js").read_text()
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}" in (ASSETS_DIR / "README.md").read_text()


async def test_the_schema_carries_the_version_written_once_in_pyproject(
    schema: dict[str, Any],
) -> None:
    assert schema["info"]["version"] == VERSION
