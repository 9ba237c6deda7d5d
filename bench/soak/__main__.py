"""`python -m bench.soak`: steady open-loop load on two instances of two workers, on one
Redis (one node, a Sentinel set or a cluster) and the fake Open-Meteo, with faults on a
schedule; then what leaked, which answers were lost, and which fetches overlapped.

Loopback only, bounded in time (`--minutes`) and rate (`--rate`). Prints a markdown table
and writes it to docs/SOAK.md (under its marker), and `--json PATH` the same figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.soak import verdict
from bench.soak.faults import BASE_LATENCY_S, Fault, Parts, faults_for
from bench.soak.lost_cities import around_losses
from bench.soak.memtrace import memory_tracing
from bench.soak.report import figures, markdown
from bench.soak.sampler import Samples, sample_every
from bench.soak.schedule import run_schedule
from bench.soak.stack import Stack, stack_env
from bench.soak.topology import TOPOLOGIES, start_topology
from bench.soak.traffic import Driver, Outcome
from tests.support.fake_open_meteo import FakeOpenMeteo

OUT = Path(__file__).resolve().parents[2] / "docs" / "SOAK.md"
MARKER = "<!-- The last run of `python -m bench.soak` follows; it rewrites what is below. -->"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long it runs")
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--topology", choices=TOPOLOGIES, default="single")
    parser.add_argument("--faults", help="comma-separated fault ids or kinds (default: all)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {OUT.name}")
    parser.add_argument(
        "--trace-memory", type=Path, help="tracemalloc snapshots of each worker into this dir"
    )
    parser.add_argument("--logs", type=Path, help="keep each instance's log in this dir")
    return parser.parse_args(argv)


async def _load_and_faults(
    parts: Parts, faults: list[Fault], seconds: float, rate: float, phases: list[verdict.Phase]
) -> tuple[list[Outcome], int]:
    driver = Driver(parts.stack.urls, rate=rate)
    schedule = asyncio.to_thread(run_schedule, parts, faults, seconds, phases)
    outcomes, failed = await asyncio.gather(driver.run(seconds), schedule)
    return outcomes, failed


def soak(args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.minutes * 60
    faults = faults_for(args.topology, args.faults.split(",") if args.faults else None)
    phases: list[verdict.Phase] = []
    samples = Samples()
    topology = start_topology(args.topology)
    try:
        with FakeOpenMeteo() as fake:
            fake.set(latency_s=BASE_LATENCY_S, endpoint="forecast")
            env = stack_env(topology.env, fake.url) | memory_tracing(args.trace_memory)
            stack = Stack(env, logs=args.logs).start()
            try:
                stop = sample_every(args.sample_every, stack, topology, samples)
                started = time.monotonic()
                parts = Parts(topology, stack, fake)
                outcomes, failed = asyncio.run(
                    _load_and_faults(parts, faults, seconds, args.rate, phases)
                )
                elapsed = time.monotonic() - started
                stop()
                forecasts = fake.forecasts()
            finally:
                stack.close()
    finally:
        topology.close()
    lost = verdict.unexplained_5xx(outcomes, phases)
    examples: list[list[Any]] = []
    result = figures(
        args=args,
        outcomes=verdict.count_outcomes(outcomes),
        requests=len(outcomes),
        lost=len(lost),
        overlaps=verdict.overlaps(forecasts, phases, examples),
        faults=faults,
        phases=phases,
        samples=samples,
        calls_per_period=verdict.calls_per_period(forecasts, phases),
        seconds=elapsed,
    )
    result["faults_that_failed_to_apply"] = failed
    result["overlap_examples"] = examples
    result["phase_times"] = [[p.fault, round(p.start, 2), round(p.end, 2)] for p in phases]
    result["unexplained_examples"] = [
        {"at": o.at, "path": o.request.path, "status": o.status, "detail": o.detail}
        for o in lost[:10]
    ]
    result["unexplained_cities"] = around_losses(lost, outcomes, forecasts)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    result = soak(args)
    text = markdown(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_write:
        old = OUT.read_text() if OUT.exists() else ""
        head = old[: old.index(MARKER)] if MARKER in old else ""
        OUT.write_text(f"{head}{MARKER}\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
