"""Serve the fake Open-Meteo: `python -m tests.support.fake_open_meteo --port 8089`."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from typing import Any

import uvicorn

from tests.support.fake_open_meteo.app import build_app
from tests.support.fake_open_meteo.gateway_mount import with_gateway


def main() -> None:
    parser = fake_parser("Serve a fake Open-Meteo API.", port=8089)
    parser.add_argument("--accept-any", action="store_true", help="geocode any name")
    args = parser.parse_args()
    serve(with_gateway(build_app(accept_any=args.accept_any)), args)


def fake_parser(description: str, *, port: int) -> argparse.ArgumentParser:
    """The arguments every fake takes: where it listens."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fd", type=int, help="an inherited listening socket")
    parser.add_argument("--port", type=int, default=port, help="else listen on this port")
    return parser


def serve(app: Any, args: argparse.Namespace) -> None:
    """Serve a fake on `args.fd` (else `args.port` on loopback) until stopped or orphaned."""
    sock = (
        socket.socket(fileno=args.fd)
        if args.fd is not None
        else socket.create_server(("127.0.0.1", args.port), backlog=2048)
    )
    config = uvicorn.Config(
        app, lifespan="off", access_log=False, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, sock))


async def _exit_with_parent(server: uvicorn.Server, parent_pid: int) -> None:
    """An orphaned fake (the test run was killed) must not linger forever."""
    # Polling: the OS offers no event to await for "my parent died" (short of prctl).
    while os.getppid() == parent_pid and not server.should_exit:  # noqa: ASYNC110
        await asyncio.sleep(1)
    server.should_exit = True


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    watchdog = asyncio.create_task(_exit_with_parent(server, os.getppid()))
    try:
        await server.serve(sockets=[sock])
    finally:
        watchdog.cancel()


if __name__ == "__main__":
    main()
