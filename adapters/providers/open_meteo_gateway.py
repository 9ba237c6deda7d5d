"""Open-Meteo for the gateway: one HTTP call for several locations, split into one part each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
import msgspec

from adapters.providers.budgeted_transport import WEIGHT
from adapters.providers.http import Answer, HttpLimits, check_status, fetch
from adapters.providers.open_meteo_wire import (
    WireError,
    join_flatbuffers,
    join_json,
    split_flatbuffers,
    split_json,
)
from domain.model.admission import UpstreamCall
from domain.model.errors import GatewayRefused, UpstreamUnreadable
from domain.model.gateway import MAX_LOCATIONS_PER_CALL, Api, GatewayRequest, Point, WireFormat
from ports.gateway import GatewayUpstream, PartJoiner

# An Open-Meteo refusal is a short JSON document; anything longer is not passed on as one.
MAX_REFUSAL_BYTES = 4096
# The longest URL sent as a GET; a longer call goes as a form POST (as the SDK sends it).
# Half of the 8 KB request line that nginx, Apache and most CDNs accept by default, leaving
# room for a proxy in between that adds to it or allows less; every one-location call and
# calls of some dozens of locations stay GETs, readable in proxies' caches and logs.
MAX_GET_URL_CHARS = 4000


class _Refusal(msgspec.Struct):
    error: bool
    reason: str


class OpenMeteoGateway(GatewayUpstream, PartJoiner):
    """`urls` gives each API's base URL (its path is the API's own, /v1/forecast...). The
    body cap is `limits.max_body_bytes` per location the call carries. `api_key`, when set,
    is the server's own (Open-Meteo's commercial `apikey`), never a client's."""

    name = "open-meteo"

    def __init__(
        self,
        client: httpx.AsyncClient,
        urls: Mapping[Api, str],
        limits: HttpLimits,
        *,
        api_key: str = "",
        max_points: int = MAX_LOCATIONS_PER_CALL,
        max_get_url_chars: int = MAX_GET_URL_CHARS,
    ) -> None:
        self._client, self._urls, self._api_key = client, urls, api_key
        self._limits, self._max_get_url_chars = limits, max_get_url_chars
        self.max_points = max_points

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        what = f"{query.api.value} gateway"
        limits = HttpLimits(
            timeout_s=self._limits.timeout_s,
            max_body_bytes=self._limits.max_body_bytes * len(points),
            retry_after_max_s=self._limits.retry_after_max_s,
        )
        answer = await self._call(what, query, points, limits, call)
        if answer.status_code == 400 and _is_refusal(answer.content):
            raise GatewayRefused(answer.content)
        check_status(what, answer, limits)
        try:
            if query.format is WireFormat.FLATBUFFERS:
                per_location = query.messages_per_location()
                return split_flatbuffers(answer.content, len(points), per_location=per_location)
            return split_json(answer.content, len(points))
        except WireError as e:
            raise UpstreamUnreadable(f"{what} upstream sent an unusable body: {e}") from e

    async def _call(
        self,
        what: str,
        query: GatewayRequest,
        points: Sequence[Point],
        limits: HttpLimits,
        call: UpstreamCall,
    ) -> Answer:
        """A GET, or a form POST when the URL would be longer than `max_get_url_chars`."""
        params = query.upstream_params(points)
        if self._api_key:
            params.append(("apikey", self._api_key))
        url = self._urls[query.api].rstrip("/") + query.api.path
        encoded = httpx.QueryParams(tuple(params))
        form = len(url) + 1 + len(str(encoded)) > self._max_get_url_chars
        weight = {WEIGHT: query.weight(len(points))}
        return await fetch(
            self._client, what, url, encoded, limits, call=call, extensions=weight, form=form
        )

    def join(self, query: GatewayRequest, parts: Sequence[bytes]) -> bytes:
        if query.format is WireFormat.FLATBUFFERS:
            return join_flatbuffers(parts)
        return join_json(parts, single=len(parts) == 1)


def _is_refusal(body: bytes) -> bool:
    """Open-Meteo's own 400 ({"error": true, "reason": ...}), not a proxy's error page."""
    if len(body) > MAX_REFUSAL_BYTES:
        return False
    try:
        return msgspec.json.decode(body, type=_Refusal).error
    except msgspec.DecodeError:
        return False
