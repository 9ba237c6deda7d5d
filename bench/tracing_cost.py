"""`python -m bench.tracing_cost`: what tracing costs the hit path, off and sampled.

Warm near-cache hits and Redis hits (NEAR_CACHE_TTL=0) on 50 cities, 2 workers, with
tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset: nothing of OpenTelemetry is imported),
sampled at 1% (`traceidratio`, the advice of docs/TRACING.md), and every request sampled,
exporting over OTLP/HTTP to a receiver on loopback that decodes each batch. The rows are
taken in turn round after round (so a burst of other load lands on all of them); ratios
to the "off" row of the same kind matter, not req/s.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from bench import load, report
from bench.http import machine
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.otlp_receiver import OtlpReceiver
from tests.support.redis_server import LocalRedisServer

SAMPLING = {
    "off": None,
    "1% sampled": {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"},
    "all sampled": {"OTEL_TRACES_SAMPLER": "always_on"},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing_cost", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    use_wrk = load.have_wrk()
    options = Options(args.seconds, 1.0, 64, use_wrk)
    paths = [weather_path(city) for city in WARM_CITIES]
    print(f"before: {machine('wrk -t2 -c64' if use_wrk else 'python')}", file=sys.stderr)
    rows: dict[str, list[Row]] = {}
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        receiver = stack.enter_context(OtlpReceiver())
        bench = Bench(redis.url, upstream.url, options)
        bench.prime(WARM_CITIES, lambda city, body: None)
        for _ in range(args.rounds):
            for near_ttl, kind in ((1.0, "warm hits"), (0.0, "Redis hits")):
                for mode, sampler in SAMPLING.items():
                    env = {} if sampler is None else {
                        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, **sampler
                    }  # fmt: skip
                    label = f"{kind}, tracing {mode}"
                    server = bench.skycache(near_ttl=near_ttl, env=env)
                    rows.setdefault(label, []).append(bench.measure(label, server, paths))
        received = len(receiver.received())
    combined = {key: combine(found) for key, found in rows.items()}
    for kind in ("warm hits", "Redis hits"):
        mine = [row for label, row in combined.items() if label.startswith(kind)]
        print(report.table(mine, combined[f"{kind}, tracing off"]))
    print(f"\nspans received: {received}")
    print(f"after: {machine('wrk -t2 -c64' if use_wrk else 'python')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
