"""The results as markdown: one table of runs, then the pooled figures and the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench.scenarios import Row

HEADER = (
    "| server | req/s | p50 ms | p99 ms | req/s ÷ ceiling | p99 ÷ ceiling "
    "| worker CPU µs/req | Redis cmds/req | Redis B/city | worker RSS MB | load avg |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table(rows: Sequence[Row], ceiling: Row) -> str:
    lines = [HEADER]
    for row in rows:
        r, c = row.result, ceiling.result
        cells = [
            row.label + (f" ({r.errors} errors)" if r.errors else ""),
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.rps / c.rps:.0%}" if c.rps else "-",
            f"{r.p99_ms / c.p99_ms:.2f}x" if c.p99_ms else "-",
            f"{row.cpu_us:.0f}",
            f"{row.commands_per_request:.2f}",
            "-" if row.redis_bytes is None else f"{row.redis_bytes:.0f}",
            f"{row.rss_mb:.1f}",
            f"{row.load1:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _check(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def targets(
    rows: Mapping[str, Row], bytes_per_city: float, rss: Sequence[tuple[int, float]]
) -> str:
    ceiling, warm, redis_hit, old = rows["ceiling"], rows["near"], rows["redis"], rows["old"]
    share = warm.result.rps / ceiling.result.rps
    p99 = warm.result.p99_ms / ceiling.result.p99_ms
    speedup = redis_hit.result.rps / old.result.rps
    lines = [
        f"- pooled over the rounds (the goals are judged on the rounds' medians above): warm "
        f"hits {share:.0%} of the ceiling's req/s, p99 {p99:.2f}x its p99; Redis hits "
        f"{speedup:.2f}x the old design's req/s",
        f"- by worker CPU per request, which other load disturbs less: warm hits "
        f"{ceiling.cpu_us / warm.cpu_us:.0%} of the ceiling, Redis hits "
        f"{old.cpu_us / redis_hit.cpu_us:.2f}x cheaper than the old design",
        f"- Redis memory per city: {bytes_per_city:.0f} B (target ≤ 200): "
        f"{_check(bytes_per_city <= 200)}",
    ]
    for kind in ("near", "redis"):
        small, big = rows.get(kind), rows.get(kind + "_big")
        if small and big:
            lines.append(
                f"- {small.label}: with many more cities in Redis, req/s x"
                f"{big.result.rps / small.result.rps:.2f}, p50 x"
                f"{big.result.p50_ms / small.result.p50_ms:.2f}, p99 x"
                f"{big.result.p99_ms / small.result.p99_ms:.2f}, worker CPU per request x"
                f"{big.cpu_us / small.cpu_us:.2f}"
            )
    if "near_1w" in rows:
        one, two = rows["near_1w"].result.rps, warm.result.rps
        lines.append(f"- warm hits, 2 workers vs 1: x{two / one:.2f} req/s")
    if "redis_1w" in rows:
        one, two = rows["redis_1w"].result.rps, redis_hit.result.rps
        lines.append(f"- Redis hits, 2 workers vs 1: x{two / one:.2f} req/s")
    growth = ", ".join(f"{n:,} cities: {mb:.1f} MB" for n, mb in rss)
    lines.append(f"- worker RSS (mean of the workers) after serving {growth}")
    return "\n".join(lines)
