"""/livez and /readyz: the orchestrator's probes, and the readiness a SIGTERM drains."""
