"""FollowRuns: how long a gateway part stays fresh under FORECAST_FRESHNESS=model-runs."""

from __future__ import annotations

from domain.model.gateway import Api, GatewayRequest
from domain.model.model_runs import RunFreshness
from ports.model_runs import ModelRuns


class FollowRuns:
    """Rules:
    - forecast and air-quality parts follow the runs of the models they ask for
      (`models=`; none given: the API's default models, as the ModelRuns adapter maps them);
    - archive parts keep their TTLs (a settled range never changes; an unsettled one is
      rebuilt once a day, not per model run): None."""

    def __init__(self, runs: ModelRuns, rules: RunFreshness) -> None:
        self._runs, self._rules = runs, rules

    async def fresh_until(self, query: GatewayRequest, now: float) -> float | None:
        if query.api is Api.ARCHIVE:
            return None
        asked = dict(query.params).get("models", "")
        models = [name for name in asked.split(",") if name]
        return self._rules.fresh_until(await self._runs.runs(query.api.value, models), now)
