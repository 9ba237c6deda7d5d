"""FollowRuns: how long a gateway part stays fresh under FORECAST_FRESHNESS=model-runs."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence

from domain.model.errors import CacheUnavailable
from domain.model.gateway import Api, GatewayRequest
from domain.model.gateway_part import StoredPart
from domain.model.model_runs import ModelRun, RunFreshness
from ports.gateway_store import PartStore
from ports.model_runs import ModelRuns


class FollowRuns:
    """Rules:
    - forecast and air-quality parts follow the runs of the models they ask for
      (`models=`; none given: the API's default models, as the ModelRuns adapter maps them);
    - archive parts keep their TTLs (a settled range never changes; an unsettled one is
      rebuilt once a day, not per model run): None;
    - with a `shared` store, the runs read for one API and model list are kept there for
      `share_s`, so that one process in the cluster reads Open-Meteo's documents per period;
      while the store is unavailable each process reads its own (`runs` keeps them too)."""

    def __init__(
        self,
        runs: ModelRuns,
        rules: RunFreshness,
        *,
        shared: PartStore | None = None,
        share_s: float = 60.0,
    ) -> None:
        self._runs, self._rules = runs, rules
        self._shared, self._share_s = shared, share_s

    async def fresh_until(self, query: GatewayRequest, now: float) -> float | None:
        if query.api is Api.ARCHIVE:
            return None
        asked = dict(query.params).get("models", "")
        models = [name for name in asked.split(",") if name]
        return self._rules.fresh_until(await self._read(query.api.value, models, now), now)

    async def _read(self, api: str, models: list[str], now: float) -> list[ModelRun | None]:
        if self._shared is None:
            return await self._runs.runs(api, models)
        key = "runs:" + hashlib.sha256(f"{api}:{','.join(models)}".encode()).hexdigest()[:40]
        with contextlib.suppress(CacheUnavailable):
            (kept,) = await self._shared.get_many([key])
            if kept is not None and now < kept.fresh_until:
                return decode(kept.body)
        runs = await self._runs.runs(api, models)
        until = now + self._share_s
        part = StoredPart(body=encode(runs), fetched_at=now, fresh_until=until, stale_until=until)
        with contextlib.suppress(CacheUnavailable):
            await self._shared.put(key, part, self._share_s)
        return runs


def encode(runs: Sequence[ModelRun | None]) -> bytes:
    """`available_at interval` per model, `-` for an unknown one, `;` between them."""
    return ";".join(
        "-" if r is None else f"{r.available_at!r} {r.interval_s!r}" for r in runs
    ).encode()


def decode(body: bytes) -> list[ModelRun | None]:
    """What encode wrote; anything unreadable is an unknown run (the TTL applies)."""
    return [_run(item) for item in body.decode("ascii", "replace").split(";")]


def _run(item: str) -> ModelRun | None:
    numbers = item.split()
    if len(numbers) != 2:
        return None
    try:
        return ModelRun(float(numbers[0]), float(numbers[1]))
    except ValueError:
        return None
