"""FORECAST_FRESHNESS=model-runs over a simulated day: a part is refreshed once per model
run, after the run plus the margin and never before, and far fewer upstream calls than a
fixed TTL for the same traffic."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from domain.model.admission import UpstreamCall
from domain.model.errors import CacheUnavailable
from domain.model.gateway import Api, GatewayRequest, Point
from domain.model.gateway_part import StoredPart
from domain.model.model_runs import ModelRun, RunFreshness
from domain.use_cases.gateway import ServeGateway
from domain.use_cases.gateway_runs import FollowRuns, decode, encode
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import FakeUpstream, gateway_over, request

HOUR = 3600.0
MARGIN = 900.0
START = 1_717_243_200.0 + 600.0  # 10 minutes past a run
BERLIN = (52.52, 13.41)


class HourlyRuns:
    """A model whose run comes out on every full hour of the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    async def runs(self, api: str, models: Sequence[str]) -> list[ModelRun | None]:
        self.asked.append((api, tuple(models)))
        return [ModelRun(self.clock.now() // HOUR * HOUR, HOUR)]


class TimedUpstream(FakeUpstream):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.times: list[float] = []

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        self.times.append(self.clock.now())
        return await super().fetch(query, points, call)


def serving(clock: FakeClock, upstream: TimedUpstream, *, follow: bool) -> ServeGateway:
    runs = FollowRuns(HourlyRuns(clock), RunFreshness(margin_s=MARGIN, fallback_ttl_s=900.0))
    return gateway_over(
        MemoryPartStore(clock=clock),
        MemoryLock(clock=clock),
        upstream,
        clock,
        fresh_until=runs.fresh_until if follow else None,
    )


async def a_day_of_traffic(*, follow: bool) -> list[float]:
    """One request a minute for 24 hours; the times of the upstream calls."""
    clock = FakeClock(now=START)
    upstream = TimedUpstream(clock)
    serve = serving(clock, upstream, follow=follow)
    for _ in range(24 * 60):
        await serve(request(BERLIN))
        await serve.drain()
        clock.advance(60)
    return upstream.times


async def test_a_part_is_refreshed_once_a_run_after_the_run_plus_margin_never_before() -> None:
    times = await a_day_of_traffic(follow=True)
    refreshes = times[1:]
    assert len(refreshes) == 23  # one a run: 01:15, 02:15, ... 23:15 after the 00:10 fetch
    for at in refreshes:
        due = at // HOUR * HOUR + MARGIN  # this hour's run plus the margin
        assert due <= at < due + 60  # within one request of it, not before


async def test_following_runs_costs_fewer_upstream_calls_than_a_fixed_ttl() -> None:
    by_ttl = await a_day_of_traffic(follow=False)
    by_runs = await a_day_of_traffic(follow=True)
    assert (len(by_ttl), len(by_runs)) == (96, 24)


async def test_the_models_asked_for_are_the_ones_followed_and_the_archive_is_not() -> None:
    clock = FakeClock(now=START)
    runs = HourlyRuns(clock)
    follow = FollowRuns(runs, RunFreshness(margin_s=MARGIN, fallback_ttl_s=900.0))
    point = (Point(*BERLIN),)
    asked = GatewayRequest(Api.FORECAST, request().format, point, (("models", "icon_d2,gfs025"),))
    archive = GatewayRequest(Api.ARCHIVE, request().format, point, ())
    assert await follow.fresh_until(asked, clock.now()) == START - 600.0 + HOUR + MARGIN
    assert await follow.fresh_until(request(BERLIN), clock.now()) is not None
    assert await follow.fresh_until(archive, clock.now()) is None
    assert runs.asked == [("forecast", ("icon_d2", "gfs025")), ("forecast", ())]


async def test_processes_sharing_a_store_read_the_runs_once_per_period() -> None:
    clock = FakeClock(now=START)
    store = MemoryPartStore(clock=clock)
    rules = RunFreshness(margin_s=MARGIN, fallback_ttl_s=900.0)
    one, two = HourlyRuns(clock), HourlyRuns(clock)
    first = FollowRuns(one, rules, shared=store, share_s=60.0)
    second = FollowRuns(two, rules, shared=store, share_s=60.0)
    ends = [await first.fresh_until(request(BERLIN), clock.now())]
    clock.advance(59.9)
    ends.append(await second.fresh_until(request(BERLIN), clock.now()))
    assert (len(one.asked), len(two.asked)) == (1, 0)  # the second read the first's
    assert ends == [START - 600.0 + HOUR + MARGIN] * 2
    clock.advance(0.1)
    await second.fresh_until(request(BERLIN), clock.now())
    assert (len(one.asked), len(two.asked)) == (1, 1)  # the shared copy lasts share_s


class DownStore(MemoryPartStore):
    async def get_many(self, keys: Sequence[str]) -> list[StoredPart | None]:
        raise CacheUnavailable("down")

    async def put(self, key: str, part: StoredPart, ttl_s: float) -> StoredPart:
        raise CacheUnavailable("down")


async def test_with_the_shared_store_down_each_process_reads_its_own() -> None:
    clock = FakeClock(now=START)
    runs = HourlyRuns(clock)
    follow = FollowRuns(
        runs, RunFreshness(margin_s=MARGIN), shared=DownStore(clock=clock), share_s=60.0
    )
    assert await follow.fresh_until(request(BERLIN), clock.now()) == START - 600.0 + HOUR + MARGIN
    assert len(runs.asked) == 1


def test_the_shared_form_reads_back_and_garbage_is_an_unknown_run() -> None:
    runs = [ModelRun(1_717_243_200.0, 3600.0), None, ModelRun(1.5, 600.0)]
    assert decode(encode(runs)) == runs
    assert decode(b"x 1;1 2 3;\xff;") == [None, None, None, None]
