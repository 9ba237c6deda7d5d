"""/livez and /readyz: what an orchestrator's probes ask, answered from the process alone.

Neither asks Redis nor the upstream: Skycache keeps answering from its own copies while
they are down, so a liveness probe that followed them would restart every pod at the moment
it is most useful, and a readiness probe that followed them would empty the Service. /healthz
is the one that reports Redis and the provider."""

from __future__ import annotations

import enum

from litestar import Response
from litestar.datastructures import State

from entrypoints.http.no_store import get_of_the_moment
from entrypoints.http.openapi.examples import LIVE_ANSWERS, READY_ANSWERS
from entrypoints.http.schemas import ProbeResponse

READINESS_KEY = "readiness"


class Phase(enum.Enum):
    STARTING = "starting"
    SERVING = "serving"
    DRAINING = "draining"


class Readiness:
    """Starting until the services are open, serving, then draining from SIGTERM to exit."""

    def __init__(self) -> None:
        self.phase = Phase.STARTING

    def serving(self) -> None:
        if self.phase is Phase.STARTING:
            self.phase = Phase.SERVING

    def drain(self) -> None:
        self.phase = Phase.DRAINING


@get_of_the_moment(
    "/livez", "Whether the process answers (never asks Redis or the upstream)", LIVE_ANSWERS
)
async def livez() -> ProbeResponse:
    return ProbeResponse(status="alive")


@get_of_the_moment(
    "/readyz", "Whether to route requests here: 503 only while starting and draining", READY_ANSWERS
)
async def readyz(state: State) -> Response[ProbeResponse]:
    readiness: Readiness = state[READINESS_KEY]
    if readiness.phase is Phase.SERVING:
        return Response(ProbeResponse(status="ready"), status_code=200)
    return Response(ProbeResponse(status=readiness.phase.value), status_code=503)


PROBE_ROUTES = [livez, readyz]
