"""Steering the gateway's fake upstream from a test: its call log, modes and model run."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

Call = dict[str, Any]  # path, method, points, weight, format, apikey, query, status
T = TypeVar("T")


class GatewayControls:
    """Mixed into FakeOpenMeteo: the /_gateway/ routes of the same server."""

    url: str

    def gateway_calls(self) -> list[Call]:
        return _decoded(httpx.get(f"{self.url}/_gateway/calls", timeout=5), list[Call])

    def gateway_set(self, **control: Any) -> Call:
        """mode ("ok", "error500", "error429", "timeout", "truncated"), latency_s,
        new_run=True (a new model run: new values, a new meta.json), today="yyyy-mm-dd",
        run_available_at=<unix s> (meta.json's last run), meta={...} (served as given for
        every model; None: the honest document again)."""
        return _decoded(httpx.post(f"{self.url}/_gateway/control", json=control, timeout=5), Call)

    def gateway_reset(self) -> None:
        _decoded(httpx.post(f"{self.url}/_gateway/reset", timeout=5), Call)

    async def agateway_calls(self) -> list[Call]:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            return _decoded(await client.get("/_gateway/calls"), list[Call])

    async def agateway_set(self, **control: Any) -> Call:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            return _decoded(await client.post("/_gateway/control", json=control), Call)

    async def agateway_reset(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            _decoded(await client.post("/_gateway/reset"), Call)


def _decoded(response: httpx.Response, shape: type[T]) -> T:
    response.raise_for_status()
    return msgspec.json.decode(response.content, type=shape)
