"""Open-Meteo's model runs: /data/<model>/static/meta.json, read within bounds, kept a while.

Which models an answer follows: those of its `models=` when given (Open-Meteo names their
data directories after them); the API's default (`best_match` for a forecast, which blends
national and global models by place) follows the global models it draws on, the earliest
next run of them winning; air quality follows CAMS (global and Europe)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import httpx
import msgspec

from adapters.providers.http import HttpLimits, check_status, decode, fetch
from domain.model.admission import UpstreamCall
from domain.model.errors import UpstreamUnavailable
from domain.model.model_runs import ModelRun
from ports.clock import Clock
from ports.model_runs import ModelRuns

DEFAULT_MODELS = {
    "forecast": ("dwd_icon", "ncep_gfs025", "ecmwf_ifs025"),
    "air-quality": ("cams_global", "cams_europe"),
}
# The forecast API's model names whose data directory is named differently; any other name
# is its own directory (ecmwf_ifs025, ...), and one Open-Meteo does not know is a 404: None.
DATA_DIRECTORY = {
    "icon_seamless": "dwd_icon",
    "icon_global": "dwd_icon",
    "icon_eu": "dwd_icon_eu",
    "icon_d2": "dwd_icon_d2",
    "gfs_seamless": "ncep_gfs025",
    "gfs_global": "ncep_gfs025",
    "gfs025": "ncep_gfs025",
}
MAX_MODELS = 20  # as many as one query may name (domain/model/gateway_params.py)
MAX_META_BYTES = 16_384  # the document is a few hundred bytes
# Read alongside the upstream call it dates; slower than this, the TTL applies instead.
MAX_META_WAIT_S = 2.0


class _Meta(msgspec.Struct):
    last_run_availability_time: float
    update_interval_seconds: float


class OpenMeteoModelRuns(ModelRuns):
    """Each model's meta.json is read at most once per `refresh_s` in this process (one
    read at a time per model), through the service's HTTP client under `limits` (at most
    MAX_META_WAIT_S, MAX_META_BYTES); an unreachable or unreadable document is None until
    the next refresh."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        urls: Mapping[str, str],
        limits: HttpLimits,
        clock: Clock,
        *,
        refresh_s: float = 60.0,
    ) -> None:
        self._client, self._urls, self._clock = client, urls, clock
        self._limits = HttpLimits(
            timeout_s=min(limits.timeout_s, MAX_META_WAIT_S),
            max_body_bytes=MAX_META_BYTES,
            retry_after_max_s=limits.retry_after_max_s,
        )
        self._refresh_s = refresh_s
        self._known: dict[tuple[str, str], tuple[float, ModelRun | None]] = {}
        self._reading: dict[tuple[str, str], asyncio.Task[ModelRun | None]] = {}

    async def runs(self, api: str, models: Sequence[str]) -> list[ModelRun | None]:
        asked = [DATA_DIRECTORY.get(name, name) for name in models[:MAX_MODELS]]
        names = list(dict.fromkeys(asked)) or list(DEFAULT_MODELS.get(api, ()))
        return list(await asyncio.gather(*(self._run(api, name) for name in names)))

    async def _run(self, api: str, model: str) -> ModelRun | None:
        key = (api, model)
        known = self._known.get(key)
        if known is not None and self._clock.monotonic() - known[0] < self._refresh_s:
            return known[1]
        task = self._reading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._read(api, model))
            self._reading[key] = task
            task.add_done_callback(lambda _: self._reading.pop(key, None))
        run = await asyncio.shield(task)
        self._known[key] = (self._clock.monotonic(), run)
        return run

    async def _read(self, api: str, model: str) -> ModelRun | None:
        url = f"{self._urls[api].rstrip('/')}/data/{model}/static/meta.json"
        what = f"{api} model runs"
        try:
            # One read serves every fetch that asks, made for none of them (nor budgeted:
            # meta.json is no endpoint of the provider's).
            answer = await fetch(self._client, what, url, {}, self._limits, call=UpstreamCall())
            check_status(what, answer, self._limits)
            meta = decode(what, answer.content, _Meta)
        except UpstreamUnavailable:
            return None
        return ModelRun(meta.last_run_availability_time, meta.update_interval_seconds)
