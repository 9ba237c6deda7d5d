"""`python -m bench.status_cost`: what /status costs the hit path, STATUS_PAGE on and off.

Warm near-cache hits on 50 cities, 2 workers, the rows taken in turn round after round
(so a burst of other load lands on both); "on, polled" has a client reading /status/data
every 0.5 s, four times the page's own pace. Ratios to the "off" row matter, not req/s.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

import httpx

from bench import load, report
from bench.http import machine
from bench.options import load_bench_parser
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from bench.servers import Server
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer


@contextlib.contextmanager
def polled(server: Server, every_s: float = 0.5) -> Iterator[None]:
    """/status/data read every `every_s` while the block runs (once the server is up)."""
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.wait(every_s):
                with contextlib.suppress(httpx.TransportError):  # not started yet
                    client.get("/status/data").raise_for_status()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = load_bench_parser("bench.status_cost", __doc__, seconds=5, rounds=3, connections=None)
    args = parser.parse_args(argv)
    use_wrk = load.have_wrk()
    options = Options(args.seconds, 1.0, 64, use_wrk)
    paths = [weather_path(city) for city in WARM_CITIES]
    print(f"before: {machine('wrk -t2 -c64' if use_wrk else 'python')}", file=sys.stderr)
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        bench = Bench(redis.url, upstream.url, options)
        bench.prime(WARM_CITIES, lambda city, body: None)
        rows: dict[str, list[Row]] = {"off": [], "on": [], "polled": []}
        for _ in range(args.rounds):
            off = bench.skycache(env={"STATUS_PAGE": "false"})
            rows["off"].append(bench.measure("STATUS_PAGE=false", off, paths))
            rows["on"].append(bench.measure("STATUS_PAGE=true", bench.skycache(), paths))
            on = bench.skycache()
            with polled(on):
                rows["polled"].append(bench.measure("STATUS_PAGE=true, polled", on, paths))
    combined = {key: combine(found) for key, found in rows.items()}
    print(report.table(list(combined.values()), combined["off"]))
    print(f"\nafter: {machine('wrk -t2 -c64' if use_wrk else 'python')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
