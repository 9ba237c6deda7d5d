"""The `skycache` command: serve the API (and, later, benchmarks and load tests)."""

from __future__ import annotations

import argparse
import os
import sys

from entrypoints import logging_setup, startup
from entrypoints.backends import StartupError
from entrypoints.loadtest import add_arguments as add_loadtest_arguments
from entrypoints.loadtest import run as run_loadtest
from entrypoints.settings import Settings, SettingsError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Each worker reads it back: without Redis, a worker spends 1/N of the upstream budget.
    os.environ["SKYCACHE_WORKERS"] = str(args.workers)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"skycache: configuration error: {error}", file=sys.stderr)
        return 2
    logging_setup.configure(settings.log_level)
    try:
        startup.check_backend(settings)
    except StartupError as error:
        print(f"skycache: cannot start: {error}", file=sys.stderr)
        return 2
    # Before any worker imports prometheus_client: that import decides multiprocess mode.
    with startup.metrics_dir():
        uvicorn.run(
            "entrypoints.http.asgi:create_app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            loop="uvloop",
            http="httptools",
            log_level=settings.log_level,
            log_config=logging_setup.log_config(settings.log_level),
            access_log=False,
            # No `server: uvicorn` header: it tells a scanner what to try, and costs
            # every response a header.
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skycache", description="Skycache weather API")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)
    loadtest = commands.add_parser("loadtest", help="run a bounded headless Locust load test")
    add_loadtest_arguments(loadtest)
    loadtest.set_defaults(handler=run_loadtest)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
