"""Serve the fake OpenWeatherMap: `python -m tests.support.fake_openweathermap --port 8090`."""

from __future__ import annotations

import argparse
import asyncio
import socket

import uvicorn

from tests.support.fake_open_meteo.__main__ import _serve
from tests.support.fake_openweathermap.app import build_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake OpenWeatherMap API.")
    parser.add_argument("--fd", type=int, help="an inherited listening socket")
    parser.add_argument("--port", type=int, default=8090, help="else listen on this port")
    parser.add_argument("--api-key", default="fake-owm-key", help="the one appid accepted")
    parser.add_argument("--accept-any", action="store_true", help="know every city name")
    args = parser.parse_args()
    sock = (
        socket.socket(fileno=args.fd)
        if args.fd is not None
        else socket.create_server(("127.0.0.1", args.port), backlog=2048)
    )
    app = build_app(api_key=args.api_key, accept_any=args.accept_any)
    config = uvicorn.Config(
        app, lifespan="off", access_log=False, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, sock))


if __name__ == "__main__":
    main()
