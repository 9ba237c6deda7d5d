"""The `skycache` command: serve the API, show its configuration, print the edge's nginx
configuration, run a load test, purge and warm the cache."""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from entrypoints import admin_cli, config_report, logging_setup, startup
from entrypoints.edge import add_arguments as add_edge_arguments
from entrypoints.edge import run as run_edge_config
from entrypoints.http.probes.drain_signal import DRAIN_TIMEOUT_S
from entrypoints.http.serving.options import UVICORN_OPTIONS
from entrypoints.kubernetes import add_arguments as add_kubernetes_arguments
from entrypoints.kubernetes import run as run_kubernetes_manifests
from entrypoints.loadtest import add_arguments as add_loadtest_arguments
from entrypoints.loadtest import run as run_loadtest
from entrypoints.settings import Settings, SettingsError, StartupError
from entrypoints.wiring import tracing


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Each worker reads it back: without Redis, a worker spends 1/N of the upstream budget.
    os.environ["SKYCACHE_WORKERS"] = str(args.workers)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"skycache: configuration error: {error}", file=sys.stderr)
        return 2
    secrets = settings.secrets()
    logging_setup.configure(settings.log_level, secrets)
    try:
        startup.check_run_dir(settings)
        tracing.check_installed()
        cache = startup.check_backend(settings)
        workers = startup.worker_count(args.workers, cache, settings)
        startup.check_port_free(args.host, args.port)
    except StartupError as error:
        print(f"skycache: cannot start: {error}", file=sys.stderr)
        return 2
    configuration = startup.effective_configuration(settings, cache, workers)
    logging.getLogger("skycache").info(
        "starting on %s:%d", args.host, args.port, extra=configuration
    )
    # Before any worker imports prometheus_client: that import decides multiprocess mode.
    with startup.instance_dir():
        uvicorn.run(
            "entrypoints.worker:create_app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=workers,
            log_level=settings.log_level,
            log_config=logging_setup.log_config(settings.log_level, secrets),
            timeout_graceful_shutdown=DRAIN_TIMEOUT_S,
            **UVICORN_OPTIONS,
        )
    return 0


# Also `make run`'s and the Docker image's default.
DEFAULT_WORKERS = 2

ENVIRONMENT_EPILOG = """\
Everything else (provider, cache, TTLs, Redis, limits, logging) comes from environment
variables, checked at start-up: see the Configuration table in README.md, and run
`skycache config` to print each one's effective value and where it came from.
With an in-memory cache (no Redis answering, or SKYCACHE_CACHE=memory) serve runs one
worker whatever --workers says, and logs why: that cache is per process."""


def _bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not {what}")
        return value

    return parse


def _add_serve(commands: Any) -> None:
    serve = add_command(
        commands,
        "serve",
        _serve,
        help="run the HTTP API (uvicorn)",
        description="Serve the weather API on HOST:PORT with uvicorn workers.",
        epilog=ENVIRONMENT_EPILOG,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port",
        type=_bounded_int(1, 65535, "a port (1 to 65535)"),
        default=8000,
        help="TCP port to listen on",
    )
    serve.add_argument(
        "--workers",
        type=_bounded_int(1, 512, "a worker count (1 to 512)"),
        default=DEFAULT_WORKERS,
        help="worker processes (one when the cache is in memory)",
    )


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults in the help, and the epilog's lines kept as written."""


def add_command(
    commands: Any, name: str, handler: Callable[[argparse.Namespace], int], **texts: str
) -> argparse.ArgumentParser:
    """A subcommand that runs `handler(args)`; `texts` are add_parser's help, description..."""
    command: argparse.ArgumentParser = commands.add_parser(
        name, formatter_class=_Formatter, **texts
    )
    command.set_defaults(handler=handler)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skycache",
        description="Skycache: a Redis-cached weather API in front of Open-Meteo.",
        epilog="Run `skycache COMMAND --help` for a command's options.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"skycache {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands)
    config = add_command(
        commands,
        "config",
        config_report.run,
        help="print the effective configuration and where each value came from",
        description="Print every setting read from the environment: its effective value "
        "(secrets as ***, URLs without their credentials) and its source (env or default).",
    )
    config.add_argument("--json", action="store_true", help="print JSON instead of a table")
    edge = add_command(
        commands,
        "edge-config",
        run_edge_config,
        help="print the nginx configuration of an edge in front of Skycache instances",
        description="Print a complete nginx configuration that caches /weather by "
        "Skycache's own Cache-Control and ETag in front of the given instances. Run it "
        "as it is: nginx -p DIR -c FILE -g 'daemon off;'.",
    )
    add_edge_arguments(edge)
    kubernetes = add_command(
        commands,
        "k8s-manifests",
        run_kubernetes_manifests,
        help="print the Kubernetes manifests (Deployment, Service, PDB, HPA, ConfigMap)",
        description="Print Kubernetes manifests for Skycache beside a managed Redis: apply "
        "them as they are (kubectl apply -f -). Secrets are referenced by name, never "
        "printed.",
    )
    add_kubernetes_arguments(kubernetes)
    loadtest = add_command(
        commands, "loadtest", run_loadtest, help="run a bounded headless Locust load test"
    )
    add_loadtest_arguments(loadtest)
    admin_cli.add_commands(functools.partial(add_command, commands))
    return parser


def _version() -> str:
    """The installed distribution's version: what pip, the image and bug reports see."""
    try:
        return importlib.metadata.version("skycache")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed: run `pip install .`)"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
