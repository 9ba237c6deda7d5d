"""Serve the fake Open-Meteo: `python -m tests.support.fake_open_meteo --port 8089`."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket

import uvicorn

from tests.support.fake_open_meteo.app import build_app


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


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Open-Meteo API.")
    parser.add_argument("--fd", type=int, help="an inherited listening socket")
    parser.add_argument("--port", type=int, default=8089, help="else listen on this port")
    parser.add_argument("--accept-any", action="store_true", help="geocode any name")
    args = parser.parse_args()
    sock = (
        socket.socket(fileno=args.fd)
        if args.fd is not None
        else socket.create_server(("127.0.0.1", args.port), backlog=2048)
    )
    config = uvicorn.Config(
        build_app(accept_any=args.accept_any),
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, sock))


if __name__ == "__main__":
    main()
