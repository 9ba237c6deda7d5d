"""The loadtest command: start the target, run Locust in its own process, judge the run."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from entrypoints.loadtest.report import (
    cities_in,
    missed_thresholds,
    read_final_totals,
    summary,
    upstream_bound,
)
from entrypoints.loadtest.service import local_service
from entrypoints.settings import Settings, SettingsError

LOCUSTFILE = Path(__file__).resolve().parents[2] / "deploy" / "locustfile.py"
NO_LOCUST = (
    "Locust is not installed; it comes with the test tools: "
    "pip install '.[test]' (or make test, which installs them from the lock)"
)
TOTALS = "locust_totals.json"  # written by the locustfile as Locust quits
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


def duration_s(text: str) -> int:
    """Locust's --run-time syntax (90, 90s, 2m, 1h30m) in whole seconds."""
    match = _DURATION.fullmatch(text.strip())
    units = (3600, 60, 1)
    seconds = (
        sum(int(n or 0) * k for n, k in zip(match.groups(), units, strict=True)) if match else 0
    )
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s, 2m or 1h30m")
    return seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--run-time", type=duration_s, default="30s", help="e.g. 30s, 2m")
    parser.add_argument("--out", type=Path, default=Path("loadtest-report"))
    parser.add_argument("--host", help="load this service instead of starting a local one")
    parser.add_argument("--workers", type=int, default=2, help="workers of the local service")
    parser.add_argument(
        "--redis-db",
        type=int,
        default=1,
        help="database of REDIS_URL's server for the local service, so simulated weather "
        "never lands in the real service's cache (as Compose's app-sim does)",
    )
    parser.add_argument("--locustfile", type=Path, default=LOCUSTFILE)


def run(args: argparse.Namespace) -> int:
    """0 when every threshold holds, 1 when one is missed, 2 when the run could not happen."""
    try:
        settings = Settings.from_env()
        cities = cities_in(args.locustfile)
    except (SettingsError, OSError, SyntaxError, ValueError) as error:
        print(f"skycache loadtest: {error}", file=sys.stderr)
        return 2
    locust = _locust_binary()
    if locust is None:
        print(f"skycache loadtest: {NO_LOCUST}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        try:
            host = args.host or stack.enter_context(
                local_service(
                    settings,
                    workers=args.workers,
                    redis_db=args.redis_db,
                    log_path=args.out / "service.log",
                )
            )
        except RuntimeError as error:
            print(f"skycache loadtest: {error}", file=sys.stderr)
            return 2
        before = _api_calls(host)
        locust_rc, elapsed_s = _run_locust(args, host, locust)
        # Workers flush their counters to Redis every METRICS_FLUSH_INTERVAL.
        time.sleep(min(2 * settings.metrics_flush_s, 5.0))
        after = _api_calls(host)
    try:
        totals = read_final_totals(args.out / TOTALS)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(
            f"skycache loadtest: Locust (exit {locust_rc}) left no stats: {error}", file=sys.stderr
        )
        return 2
    api_calls = None if before is None or after is None else after - before
    bound = upstream_bound(len(cities), elapsed_s, settings.weather_ttl_s)
    reasons = missed_thresholds(totals, api_calls, bound, locust_rc=locust_rc)
    ttl = settings.weather_ttl_s
    print(f"skycache loadtest: {summary(totals, api_calls, bound)}")
    print(f"  bound: {len(cities)} cities x ({elapsed_s:.0f} s / WEATHER_TTL {ttl:g} s + 1)")
    print(f"  written: {args.out / 'report.html'}, {args.out / 'locust_stats.csv'}")
    for reason in reasons:
        print(f"  FAILED: {reason}")
    print("  threshold missed" if reasons else "  every threshold held")
    return 1 if reasons else 0


def _run_locust(args: argparse.Namespace, host: str, locust: str) -> tuple[int, float]:
    command = [
        locust,
        "--headless",
        *("-f", str(args.locustfile), "-H", host),
        *("--users", str(args.users), "--spawn-rate", str(args.spawn_rate)),
        *("--run-time", f"{args.run_time}s", "--stop-timeout", "5"),
        *("--csv", str(args.out / "locust"), "--html", str(args.out / "report.html")),
        *("--totals-json", str(args.out / TOTALS)),
        "--only-summary",
    ]
    sys.stdout.flush()  # so our lines come before Locust's in a shared log
    started = time.monotonic()
    try:
        # Bounded even if Locust hangs: its run time, its stop timeout and room to start.
        code = subprocess.run(command, timeout=args.run_time + 60, check=False).returncode
    except subprocess.TimeoutExpired:
        code = -1
    return code, time.monotonic() - started


def _locust_binary() -> str | None:
    """Locust beside this Python (its venv), else on PATH; None when neither has it."""
    beside = Path(sys.executable).with_name("locust")
    return str(beside) if beside.exists() else shutil.which("locust")


def _api_calls(host: str) -> int | None:
    try:
        return int(httpx.get(f"{host.rstrip('/')}/stats", timeout=5.0).json()["api_calls"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
