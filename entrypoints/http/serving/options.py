"""The options every worker is served with, in one place: `skycache serve` passes them to
uvicorn, and the benchmarks serve their baselines with them, so that only the application
differs between a baseline and the service."""

from __future__ import annotations

from typing import Any

UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    # httptools, with the 400s its parser makes uvicorn send answered in JSON, and one
    # write per response (entrypoints/http/uvicorn_parser.py).
    "http": "entrypoints.http.uvicorn_parser:JsonErrorsHttpToolsProtocol",
    "access_log": False,
    # No `server: uvicorn` header: it tells a scanner what to try, and costs every
    # response a header.
    "server_header": False,
    # Ours instead (http/middleware/dates.py): uvicorn's lags by a second or more.
    "date_header": False,
}
