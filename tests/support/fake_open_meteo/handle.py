"""FakeOpenMeteo: start, steer and stop the fake server process from a test."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import httpx
import msgspec

from tests.support.fake_open_meteo.gateway_handle import GatewayControls

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")
State = dict[str, Any]
Calls = dict[str, int]


class FakeOpenMeteo(GatewayControls):
    """Both Open-Meteo hosts on one base `url`; point the geocoder and the forecast at it."""

    def __init__(self, *, accept_any: bool = False) -> None:
        self._accept_any = accept_any
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.url = ""
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> FakeOpenMeteo:
        # Bound here and inherited, so the port is known at once and nobody can take it.
        sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        with sock:
            self._process = subprocess.Popen(
                self._command(sock.fileno()),
                cwd=ROOT,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=[sock.fileno()],
            )
        self._wait_ready(timeout_s)
        return self

    def _command(self, fd: int) -> list[str]:
        """Fakes of other APIs (tests.support.fake_openweathermap) reuse this class's
        process handling and override only the command they run."""
        command = [sys.executable, "-m", __package__, "--fd", str(fd)]
        return [*command, *(["--accept-any"] if self._accept_any else [])]

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._give_up("exited at start-up")
            try:
                self.calls()
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        self._give_up(f"did not answer within {timeout_s} s")

    def _give_up(self, what: str) -> NoReturn:
        output = self.output()
        self.stop()
        raise RuntimeError(f"{type(self).__name__} {what}:\n{output}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()  # uvicorn cancels hung requests after a 1 s grace
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """What the server logged (warnings and errors only), while it is running."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def set(self, **control: Any) -> State:
        """Keys as in POST /_control: mode, latency_s, endpoint, weather_code, accept_any."""
        return _ok(httpx.post(f"{self.url}/_control", json=control, timeout=5), State)

    def calls(self) -> Calls:
        return _ok(httpx.get(f"{self.url}/_calls", timeout=5), Calls)

    def reset(self) -> None:
        _ok(httpx.post(f"{self.url}/_reset", timeout=5), State)

    # Async twins, for tests whose event loop must keep serving while they steer the fake.
    async def aset(self, **control: Any) -> State:
        return _ok(await self._arequest("POST", "/_control", json=control), State)

    async def acalls(self) -> Calls:
        return _ok(await self._arequest("GET", "/_calls"), Calls)

    async def acalls_by_place(self) -> Calls:
        """Calls per "geocoding <name>" and per "forecast <latitude>,<longitude>"."""
        return _ok(await self._arequest("GET", "/_places"), Calls)

    def forecasts(self) -> list[tuple[str, float, float, str]]:
        """Every forecast call: (point, start, end, mode), epoch seconds."""
        rows = _ok(
            httpx.get(f"{self.url}/_forecasts", timeout=30), list[tuple[str, float, float, str]]
        )
        return rows

    async def areset(self) -> None:
        _ok(await self._arequest("POST", "/_reset"), State)

    async def _arequest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            return await client.request(method, path, **kwargs)

    def __enter__(self) -> FakeOpenMeteo:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _ok(response: httpx.Response, shape: type[T]) -> T:
    response.raise_for_status()
    return msgspec.json.decode(response.content, type=shape)


def closed_port_url() -> str:
    """A loopback URL where, barring a race with another process, nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
