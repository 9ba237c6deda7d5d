"""Where the wheel puts the layers: under `skycache/_layers/`, never as top-level packages.

Why: see skycache/__init__.py. Everything else about the package is in pyproject.toml; only
the package list is computed here, so that a new subpackage can never be left out."""

from setuptools import find_packages, setup

LAYERS = ("domain", "ports", "adapters", "entrypoints")
PREFIX = "skycache._layers"

setup(
    packages=["skycache"]
    + [f"{PREFIX}.{name}" for name in find_packages(include=[f"{layer}*" for layer in LAYERS])],
    package_dir={f"{PREFIX}.{layer}": layer for layer in LAYERS},
    package_data={
        f"{PREFIX}.entrypoints.http.openapi": ["swagger_ui/*"],
        f"{PREFIX}.entrypoints.http.status": ["status.html"],
    },
)
