"""The ASGI factory uvicorn calls in each worker process."""

from __future__ import annotations

from litestar.types import ASGIApp

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi


def create_app_from_env() -> ASGIApp:
    return create_asgi(app_wiring(Container()))
