"""FakeOpenWeatherMap: start, steer and stop the fake server process from a test."""

from __future__ import annotations

import sys

from tests.support.fake_open_meteo.handle import FakeOpenMeteo


class FakeOpenWeatherMap(FakeOpenMeteo):
    """Serves /data/2.5/weather on `url`; only `api_key` is a valid appid.

    `set()` takes the keys of POST /_control: mode, latency_s, accept_any."""

    def __init__(self, *, api_key: str = "fake-owm-key", accept_any: bool = False) -> None:
        super().__init__(accept_any=accept_any)
        self.api_key = api_key

    def _command(self, fd: int) -> list[str]:
        command = [sys.executable, "-m", __package__, "--fd", str(fd), "--api-key", self.api_key]
        return [*command, *(["--accept-any"] if self._accept_any else [])]
