"""docs/TIMING.md's numbers are the code's: its table is rendered here from Settings."""

from __future__ import annotations

import re
from pathlib import Path

from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TIMING = ROOT / "docs" / "TIMING.md"
BEGIN, END = "<!-- numbers: begin -->", "<!-- numbers: end -->"
COLUMNS = {
    "defaults": {},
    "`UPSTREAM_TIMEOUT=10`": {"UPSTREAM_TIMEOUT": "10"},
    "failover to OpenWeatherMap": {
        "WEATHER_PROVIDER": "open-meteo,openweathermap",
        "OPENWEATHER_API_KEY": "k",
    },
}
# Nginx in front: its wait for an answer must outlast the longest a request may take.
NGINX_CONFIGS = (
    ROOT / "deploy" / "edge" / "nginx.conf",
    ROOT / "deploy" / "nginx" / "skycache.conf",
    ROOT / "entrypoints" / "edge" / "nginx_config.py",
)


def _seconds(value: float) -> str:
    return f"{value:g} s"


def numbers_table() -> str:
    rows = {
        "one HTTP request (`UPSTREAM_TIMEOUT`)": lambda d: d.request_s,
        "one Open-Meteo attempt (the slot's backstop)": lambda d: d.attempt_s(2),
        "wait for a free slot": lambda d: d.queue_s(2),
        "one Open-Meteo call, retry included": lambda d: d.provider_s(2),
        "the owner of a fetch": lambda d: d.owner_s,
        "the lock's own wait, before anyone may own": lambda d: d.lock_wait_s,
        "a waiter (`LOCK_WAIT_TIMEOUT` unset)": lambda d: d.waiter_s,
    }
    deadlines = [Settings.from_env(env).deadlines for env in COLUMNS.values()]
    lines = ["| bound | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, bound in rows.items():
        lines.append(f"| {name} | " + " | ".join(_seconds(bound(d)) for d in deadlines) + " |")
    return "\n".join(lines)


def test_the_documented_numbers_are_the_codes() -> None:
    text = TIMING.read_text(encoding="utf-8")
    documented = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    assert documented == numbers_table(), "regenerate with: python -m tests.unit.test_timing_doc"


def test_nginx_in_front_waits_longer_than_a_request_may_take_at_the_defaults() -> None:
    waiter_s = Settings.from_env({}).deadlines.waiter_s
    for config in NGINX_CONFIGS:
        found = re.findall(r"proxy_read_timeout (\d+)s;", config.read_text(encoding="utf-8"))
        assert found and all(int(seconds) > waiter_s for seconds in found), config


if __name__ == "__main__":
    print(numbers_table())
