"""GET /status, /status/data and /metrics: what the service is doing, for people and for
Prometheus."""
