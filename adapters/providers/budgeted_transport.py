"""BudgetedTransport: every upstream HTTP request is paid for before it is sent."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from adapters.upstream_call import call_of
from ports.budget import UpstreamBudget

# The request extension naming a call's weight (Open-Meteo counts a heavy call as several).
WEIGHT = "skycache.weight"


class BudgetedTransport(httpx.AsyncBaseTransport):
    """Counts requests, not provider calls: a geocoding and a forecast are two, a retry
        is one more. Sits outermost, so a refused request (UpstreamBudgetSpent, raised to the
        caller) reaches neither the upstream nor the call metrics; `upstreams` names the
        budget each URL path spends from (paths it does not name are not counted). A request
    carrying a WEIGHT extension is counted as that many calls; each is admitted at the
    priority of the UpstreamCall it carries (adapters/upstream_call.py)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        budget: UpstreamBudget,
        upstreams: Mapping[str, str],
    ) -> None:
        self._inner = inner
        self._budget = budget
        self._upstreams = upstreams

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        upstream = self._upstream_of(request.url.path)
        if upstream is None:
            return await self._inner.handle_async_request(request)
        weight = float(request.extensions.get(WEIGHT, 1.0))
        call = call_of(request)
        probe = await self._budget.spend(upstream, call.priority, weight)
        call.note_sent()  # paid for and sent: whatever comes back, it reached the upstream
        response = await self._inner.handle_async_request(request)
        if probe and response.status_code != 429:
            await self._budget.reopen(upstream)  # it answered: its quota is back
        return response

    def _upstream_of(self, path: str) -> str | None:
        # By suffix too: a base URL with a path of its own (a proxy's /open-meteo prefix)
        # must not make calls uncounted.
        found = self._upstreams.get(path)
        if found is None:
            found = next((u for p, u in self._upstreams.items() if path.endswith(p)), None)
        return found

    async def aclose(self) -> None:
        await self._inner.aclose()
