"""The Open-Meteo gateway's HTTP slice: /v1/forecast, /v1/air-quality and /v1/archive."""

from entrypoints.http.gateway.routes import gateway_get, gateway_post

GATEWAY_ROUTES = [gateway_get, gateway_post]

__all__ = ["GATEWAY_ROUTES"]
