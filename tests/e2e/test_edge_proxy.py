"""deploy/nginx/skycache.conf, run for real: Debian's nginx in front of a real app process
closes slowloris connections after client_header_timeout while others are served.

uvicorn cannot do it alone: its only connection timer (timeout_keep_alive) is armed after
a response completes (httptools_impl.on_response_complete), never while headers trickle in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import ROOT, AppServer
from tests.support.edge import Nginx, frame
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("load")]

CONFIG = ROOT / "deploy" / "nginx" / "skycache.conf"
HEADER_TIMEOUT_S = 2  # the deployed file says 10 s; the test's copy says this
SLOWLORIS = 200
DRIP_S = 0.5  # one header byte this often: each read comes in time, the headers never do
UVICORN_KEEP_ALIVE_S = 5  # uvicorn's default timeout_keep_alive


def config_for_test(app_port: int, port: int) -> str:
    """The deployed server block, pointed at the test's app and port, timeout shortened."""
    text = CONFIG.read_text()
    for old, new in [
        ("server app:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("client_header_timeout 10s;", f"client_header_timeout {HEADER_TIMEOUT_S}s;"),
    ]:
        assert old in text, f"{CONFIG.name} no longer says {old!r}: update this test"
        text = text.replace(old, new)
    return text


@pytest.fixture
def edge(start_app: StartApp, tmp_path: Path) -> Iterator[tuple[AppServer, str]]:
    app = start_app()
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(frame(tmp_path, config_for_test(app.port, port)))
    with Nginx(config, tmp_path, f"http://127.0.0.1:{port}") as nginx:
        yield app, nginx.url


async def slowloris(port: int, closed: list[float], started: float, until: float) -> None:
    """A request whose headers arrive a byte every DRIP_S; notes when the server hangs up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /weather?city=Boise HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        hung_up = asyncio.ensure_future(reader.read(1024))
        while time.monotonic() < until:
            done, _ = await asyncio.wait({hung_up}, timeout=DRIP_S)
            if done:
                break
            writer.write(b"a")
            await writer.drain()
        else:
            hung_up.cancel()
            return  # still open
        closed.append(time.monotonic() - started)
    except (ConnectionError, OSError):
        closed.append(time.monotonic() - started)
    finally:
        writer.close()


async def test_nginx_closes_200_slowloris_connections_after_the_header_timeout_and_serves_others(
    edge: tuple[AppServer, str],
) -> None:
    app, url = edge
    port = int(url.rsplit(":", 1)[1])
    started = time.monotonic()
    until = started + UVICORN_KEEP_ALIVE_S + 2  # long enough to outlive uvicorn's own timer
    through_nginx: list[float] = []
    straight_to_uvicorn: list[float] = []
    attack = [
        *(slowloris(port, through_nginx, started, until) for _ in range(SLOWLORIS)),
        slowloris(app.port, straight_to_uvicorn, started, until),
    ]
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def meanwhile() -> list[int]:
            statuses = []
            for _ in range(10):
                await asyncio.sleep(0.3)
                statuses.append(
                    (await client.get("/weather", params={"city": "Boise"})).status_code
                )
            return statuses

        *_, served = await asyncio.gather(*attack, meanwhile())

    print(
        f"\nnginx closed {len(through_nginx)}/{SLOWLORIS} slowloris connections, "
        f"after {min(through_nginx, default=0):.1f}-{max(through_nginx, default=0):.1f} s; "
        f"uvicorn alone closed {len(straight_to_uvicorn)}/1 in {until - started:.0f} s"
    )
    assert len(through_nginx) == SLOWLORIS
    assert all(seconds >= HEADER_TIMEOUT_S - 0.5 for seconds in through_nginx)  # not before
    assert served == [200] * 10
    assert straight_to_uvicorn == []  # why the edge is there
