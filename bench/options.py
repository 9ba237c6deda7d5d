"""The options every load bench shares: how long each measured run lasts, how many rounds
of it, and over how many connections."""

from __future__ import annotations

import argparse


def load_bench_parser(
    module: str,
    doc: str | None,
    *,
    seconds: float,
    rounds: int,
    connections: int | None = 64,
    rounds_help: str = "measured runs of each row",
) -> argparse.ArgumentParser:
    """`python -m <module>`'s parser with --seconds, --rounds and (unless `connections` is
    None, the bench then keeping its own) --connections; the bench adds its own options."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc)
    parser.add_argument("--seconds", type=float, default=seconds, help="each measured run")
    parser.add_argument("--rounds", type=int, default=rounds, help=rounds_help)
    if connections is not None:
        parser.add_argument("--connections", type=int, default=connections)
    return parser
