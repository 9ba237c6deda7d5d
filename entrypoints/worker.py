"""The ASGI factory uvicorn calls in each worker process."""

from __future__ import annotations

from litestar.types import ASGIApp

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.weather.params import grid_of
from entrypoints.wiring import tracing


def create_app_from_env() -> ASGIApp:
    wiring = app_wiring(Container())
    app = create_asgi(wiring)
    if not tracing.wanted():
        return app
    # Here, in the worker: uvicorn spawns its workers, and each needs its own exporter.
    from adapters.observability.tracing import start_tracing, tracer
    from entrypoints.http.middleware.traced_app import TracedApp

    start_tracing()
    return TracedApp(app, tracer(), grid=grid_of(wiring.settings.coord_grid))
