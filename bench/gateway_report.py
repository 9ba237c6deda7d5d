"""bench/gateway.py's tables: warm hits side by side, and the cost of each extra KB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench import load


@dataclass(frozen=True, slots=True)
class HitRow:
    label: str
    rps: float  # mean over the rounds
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float  # worker CPU per request, mean over the rounds
    body_bytes: int

    @classmethod
    def of(cls, label: str, rounds: Sequence[tuple[load.LoadResult, float]], size: int) -> HitRow:
        n = len(rounds)
        return cls(
            label,
            sum(r.rps for r, _ in rounds) / n,
            sum(r.p50_ms for r, _ in rounds) / n,
            max(r.p99_ms for r, _ in rounds),
            sum(r.errors for r, _ in rounds),
            sum(cpu for _, cpu in rounds) / n,
            size,
        )


def render(rows: Sequence[HitRow], many: str, cold: str, before: str, after: str) -> str:
    weather, forecast, small = rows[0], rows[1], rows[2]
    ratio = forecast.rps / weather.rps if weather.rps else 0.0
    extra_kb = (forecast.body_bytes - small.body_bytes) / 1024
    per_kb = (forecast.cpu_us - small.cpu_us) / extra_kb if extra_kb > 0 else 0.0
    fixed = small.cpu_us - per_kb * small.body_bytes / 1024 - weather.cpu_us
    lines = [
        f"Machine before: {before}",
        "",
        "| warm hit | body | req/s | p50 ms | p99 ms | errors | worker CPU µs/req |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| `{r.label}` | {r.body_bytes / 1024:.1f} KB | {r.rps:,.0f} | {r.p50_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.errors} | {r.cpu_us:.0f} |"
            for r in rows
        ),
        "",
        f"Forecast hits / weather hits: **{ratio:.2f}x** req/s. Between the two forecast "
        f"rows each KB of body costs {per_kb:.1f} µs of worker CPU; a forecast hit's own cost "
        f"above a /weather hit, body aside, is {fixed:.0f} µs.",
        "",
        "| request | upstream calls | locations per call | X-Cache-Locations | body |",
        "|---|---:|---|---|---:|",
        many,
        "",
        "| scenario | upstream calls | statuses | equal to upstream's | X-Cache |",
        "|---|---:|---|---|---|",
        cold,
        "",
        f"Machine after: {after}",
    ]
    return "\n".join(lines)
